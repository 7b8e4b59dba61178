#!/bin/sh
# Installs the native ikev2 (built with `dotnet publish Ikev2Client -c Release -o out`), its systemd unit and its
# shell completions; enables and starts the service when systemd runs. docs/service.md, "Installing the service".
#
# usage (root): sh packaging/install.sh [--binary PATH] [--no-enable]
#               sh packaging/install.sh --uninstall
# env: PREFIX (default /usr/local), DESTDIR (stage into a directory instead of /, for packagers; nothing is started)
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
PREFIX=${PREFIX:-/usr/local}
DESTDIR=${DESTDIR:-}
BINARY="$ROOT/out/ikev2"
ENABLE=1
UNINSTALL=
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) BINARY=$2; shift 2 ;;
        --no-enable) ENABLE=; shift ;;
        --uninstall) UNINSTALL=1; shift ;;
        -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "install: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
[ -n "$DESTDIR" ] || [ "$(id -u)" = 0 ] || { echo "install: run as root (sudo sh $0)" >&2; exit 1; }

BIN="$PREFIX/bin/ikev2"
UNIT=/etc/systemd/system/ikev2.service
BASH_COMPLETION=/usr/share/bash-completion/completions/ikev2
ZSH_COMPLETION=/usr/share/zsh/vendor-completions/_ikev2
FISH_COMPLETION=/usr/share/fish/vendor_completions.d/ikev2.fish
SYSTEMD_RUNNING=
[ -z "$DESTDIR" ] && [ -d /run/systemd/system ] && SYSTEMD_RUNNING=1

if [ -n "$UNINSTALL" ]; then
    if [ -n "$SYSTEMD_RUNNING" ] && [ -f "$UNIT" ]; then
        systemctl disable --now ikev2.service || true  # SIGTERM: the service disconnects and removes its TUN, routes, rules
    fi
    for f in "$BIN" "$UNIT" "$BASH_COMPLETION" "$ZSH_COMPLETION" "$FISH_COMPLETION"; do
        [ -e "$DESTDIR$f" ] && rm -f "$DESTDIR$f" && echo "removed $DESTDIR$f"
    done
    [ -n "$SYSTEMD_RUNNING" ] && systemctl daemon-reload
    echo "Profiles and secrets (/etc/ikev2) and state (/var/lib/ikev2) are kept; remove them to forget every profile."
    exit 0
fi

[ -x "$BINARY" ] || { echo "install: no native ikev2 at $BINARY; build it first: dotnet publish Ikev2Client -c Release -o out" >&2; exit 1; }
"$BINARY" --version >/dev/null || { echo "install: $BINARY does not run on this machine" >&2; exit 1; }

install -d -m 0755 "$DESTDIR$PREFIX/bin" "$DESTDIR$(dirname "$UNIT")" "$DESTDIR$(dirname "$BASH_COMPLETION")" \
    "$DESTDIR$(dirname "$ZSH_COMPLETION")" "$DESTDIR$(dirname "$FISH_COMPLETION")"
install -m 0755 "$BINARY" "$DESTDIR$BIN"
sed "s|/usr/local/bin/ikev2|$BIN|" "$HERE/ikev2.service" > "$DESTDIR$UNIT.tmp"
chmod 0644 "$DESTDIR$UNIT.tmp" && mv "$DESTDIR$UNIT.tmp" "$DESTDIR$UNIT"
"$BINARY" completion bash > "$DESTDIR$BASH_COMPLETION"
"$BINARY" completion zsh > "$DESTDIR$ZSH_COMPLETION"
"$BINARY" completion fish > "$DESTDIR$FISH_COMPLETION"
chmod 0644 "$DESTDIR$BASH_COMPLETION" "$DESTDIR$ZSH_COMPLETION" "$DESTDIR$FISH_COMPLETION"
for f in "$BIN" "$UNIT" "$BASH_COMPLETION" "$ZSH_COMPLETION" "$FISH_COMPLETION"; do echo "installed $DESTDIR$f"; done

if [ -n "$SYSTEMD_RUNNING" ]; then
    systemctl daemon-reload
    if [ -n "$ENABLE" ]; then
        systemctl enable --now ikev2.service
        echo "ikev2.service is enabled and running: 'sudo ikev2 status'; log: 'journalctl -u ikev2'."
    else
        echo "ikev2.service is installed; start it with: sudo systemctl enable --now ikev2"
    fi
elif [ -z "$DESTDIR" ]; then
    echo "systemd is not running here: start the service by hand with 'sudo ikev2 daemon'."
fi
