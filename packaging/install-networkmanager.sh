#!/bin/sh
# Installs the NetworkManager VPN plugin of the ikev2 client: the .name file NetworkManager reads, the program it starts
# (a wrapper running `ikev2 nm-service`), the auth dialog secret agents run to ask for secrets (a wrapper running
# `ikev2 nm-auth-dialog`) and the D-Bus policy that lets it own its bus name. Needs the native ikev2
# installed first (sh packaging/install.sh). docs/networkmanager.md.
#
# usage (root): sh packaging/install-networkmanager.sh
#               sh packaging/install-networkmanager.sh --uninstall
# env: PREFIX (where ikev2 is, default /usr/local), DESTDIR (stage into a directory, for packagers)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
NAME_FILE=/usr/lib/NetworkManager/VPN/nm-ikev2client-service.name
PROGRAM=/usr/libexec/nm-ikev2client-service
AUTH_DIALOG=/usr/libexec/nm-ikev2client-auth-dialog
POLICY=/usr/share/dbus-1/system.d/nm-ikev2client-service.conf
case "${1:-}" in
    --uninstall)
        for f in "$NAME_FILE" "$PROGRAM" "$AUTH_DIALOG" "$POLICY"; do [ -e "$DESTDIR$f" ] && rm -f "$DESTDIR$f" && echo "removed $DESTDIR$f"; done
        exit 0 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    "") ;;
    *) echo "install-networkmanager: unknown argument $1 (see --help)" >&2; exit 2 ;;
esac
[ -n "$DESTDIR" ] || [ "$(id -u)" = 0 ] || { echo "install-networkmanager: run as root (sudo sh $0)" >&2; exit 1; }
[ -n "$DESTDIR" ] || [ -x "$PREFIX/bin/ikev2" ] || { echo "install-networkmanager: $PREFIX/bin/ikev2 is missing; run packaging/install.sh first" >&2; exit 1; }
install -d -m 0755 "$DESTDIR$(dirname "$NAME_FILE")" "$DESTDIR$(dirname "$PROGRAM")" "$DESTDIR$(dirname "$POLICY")"
install -m 0644 "$HERE/nm-ikev2client-service.name" "$DESTDIR$NAME_FILE"
sed "s|/usr/local/bin/ikev2|$PREFIX/bin/ikev2|" "$HERE/nm-ikev2client-service" > "$DESTDIR$PROGRAM.tmp"
chmod 0755 "$DESTDIR$PROGRAM.tmp" && mv "$DESTDIR$PROGRAM.tmp" "$DESTDIR$PROGRAM"
sed "s|/usr/local/bin/ikev2|$PREFIX/bin/ikev2|" "$HERE/nm-ikev2client-auth-dialog" > "$DESTDIR$AUTH_DIALOG.tmp"
chmod 0755 "$DESTDIR$AUTH_DIALOG.tmp" && mv "$DESTDIR$AUTH_DIALOG.tmp" "$DESTDIR$AUTH_DIALOG"
install -m 0644 "$HERE/nm-ikev2client-service.conf" "$DESTDIR$POLICY"
for f in "$NAME_FILE" "$PROGRAM" "$AUTH_DIALOG" "$POLICY"; do echo "installed $DESTDIR$f"; done
if [ -z "$DESTDIR" ]; then
    # dbus-daemon picks up a new policy file on its own; NetworkManager reads the VPN directory when a connection starts.
    command -v busctl >/dev/null && busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ReloadConfig >/dev/null 2>&1 || true
    echo "Export a profile: sudo ikev2 nm-export NAME -o /etc/NetworkManager/system-connections/NAME.nmconnection && sudo nmcli connection reload"
fi
