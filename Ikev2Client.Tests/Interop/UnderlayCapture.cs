using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using Ikev2Client.Inspect;
using Ikev2Client.Tests.Infrastructure;

namespace Ikev2Client.Tests.Interop;

/// <summary>One frame seen on the client's physical interface, decoded as far as the leak check needs.</summary>
public sealed record UnderlayPacket(string Kind, IPAddress? Source, IPAddress? Destination, int SourcePort, int DestinationPort, string Text)
{
    public override string ToString() => Text;
}

/// <summary>
/// tcpdump on the client's underlay veth inside its namespace for the duration of a test step, then every frame
/// classified: IKE and ESP-in-UDP (UDP 500/4500 between the client and the gateway) and the link's own plumbing (ARP
/// and IPv6 neighbour discovery about the client's or the gateway's own addresses, router solicitations, MLD) are
/// expected; anything else — an echo request, a TCP SYN, a UDP datagram, or an ARP/ND lookup of some other host
/// (which is what an on-link plaintext send starts with) — is a user packet in plaintext: a leak.
/// </summary>
public sealed class UnderlayCapture : IDisposable
{
    private readonly Process _tcpdump;
    private readonly string _file;
    private readonly HashSet<IPAddress> _client;
    private readonly HashSet<IPAddress> _gateway;
    private IReadOnlyList<UnderlayPacket>? _packets;

    private UnderlayCapture(Process tcpdump, string file, IEnumerable<IPAddress> client, IEnumerable<IPAddress> gateway)
    {
        _tcpdump = tcpdump;
        _file = file;
        _client = [.. client];
        _gateway = [.. gateway];
    }

    /// <summary>
    /// Starts tcpdump on <paramref name="device"/> in <paramref name="ns"/> and waits until it listens.
    /// <paramref name="clientAddresses"/> and <paramref name="gatewayAddresses"/> are the underlay addresses whose
    /// IKE/ESP and neighbour lookups are allowed.
    /// </summary>
    public static UnderlayCapture Start(NetworkNamespace ns, string device, string directory,
        IEnumerable<string> clientAddresses, IEnumerable<string> gatewayAddresses)
    {
        var file = Path.Combine(directory, $"underlay-{Guid.NewGuid():N}.pcap");
        var psi = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "netns", "exec", ns.Name, "tcpdump", "-i", device, "-n", "-U", "--immediate-mode", "-s", "256", "-w", file }) psi.ArgumentList.Add(a);
        var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start tcpdump");
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stderr = new System.Text.StringBuilder();
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data == null) { listening.TrySetResult(); return; }
            lock (stderr) stderr.AppendLine(e.Data);
            if (e.Data.Contains("listening on", StringComparison.Ordinal)) listening.TrySetResult();
        };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        if (!listening.Task.Wait(TimeSpan.FromSeconds(15)) || p.HasExited)
        {
            try { p.Kill(); } catch (InvalidOperationException) { }
            lock (stderr) throw new InvalidOperationException($"tcpdump did not start on {device} in {ns.Name}: {stderr}");
        }
        return new UnderlayCapture(p, file, clientAddresses.Select(IPAddress.Parse), gatewayAddresses.Select(IPAddress.Parse));
    }

    /// <summary>Stops tcpdump (SIGINT, so it flushes) and decodes what it captured; later calls return the same list.</summary>
    public IReadOnlyList<UnderlayPacket> Stop()
    {
        if (_packets != null) return _packets;
        // With --immediate-mode and -U every packet reaches the file as it comes (without it, TPACKET_V3 hands packets
        // over in blocks and a stop loses the last second); give the last ones a moment to arrive before stopping.
        Thread.Sleep(300);
        Shell.Sh($"kill -INT {_tcpdump.Id}");
        if (!_tcpdump.WaitForExit(10_000))
        {
            try { _tcpdump.Kill(); } catch (InvalidOperationException) { }
            _tcpdump.WaitForExit(5000);
        }
        var reader = CaptureReader.Read(File.ReadAllBytes(_file));
        if (reader.Error != null && reader.Frames.Count == 0) throw new InvalidOperationException($"capture {_file}: {reader.Error}");
        _packets = reader.Frames.Select(Decode).ToArray();
        return _packets;
    }

    /// <summary>The captured packets that are user traffic in plaintext (see the class summary).</summary>
    public IReadOnlyList<UnderlayPacket> Leaks => Stop().Where(IsLeak).ToArray();

    /// <summary>UDP datagrams between the client and the gateway on port 4500 (IKE after NAT-T and ESP in UDP).</summary>
    public int EncapsulatedCount => Stop().Count(p => p.Kind == "udp" && (p.SourcePort == 4500 || p.DestinationPort == 4500) && Between(p));

    private bool Between(UnderlayPacket p) =>
        (_client.Contains(p.Source!) && _gateway.Contains(p.Destination!)) || (_gateway.Contains(p.Source!) && _client.Contains(p.Destination!));

    private bool IsLeak(UnderlayPacket p) => p.Kind switch
    {
        "udp" => !(Between(p) && (p.SourcePort is 500 or 4500 || p.DestinationPort is 500 or 4500)),
        // Destination = the address looked up: the client's or gateway's own, or (IPv6) a link-local address, which the
        // kernel resolves for itself (duplicate address detection, router and neighbour reachability).
        "arp" or "nd" => !(_client.Contains(p.Destination!) || _gateway.Contains(p.Destination!) || p.Destination!.IsIPv6LinkLocal),
        "link" => false, // router solicitation, MLD: the kernel's own plumbing
        _ => true,
    };

    /// <summary>A short description of each leak, for assertion messages.</summary>
    public string Describe(int max = 20) => string.Join("\n", Leaks.Take(max).Select(l => l.Text));

    private static UnderlayPacket Decode(CapturedFrame frame)
    {
        var d = frame.Data.AsSpan();
        if (frame.LinkType != CaptureReader.LinkTypeEthernet || d.Length < 14) return new("other", null, null, -1, -1, $"#{frame.Number} link type {frame.LinkType}");
        int type = BinaryPrimitives.ReadUInt16BigEndian(d[12..]);
        var l3 = d[14..];
        switch (type)
        {
            case 0x0806 when l3.Length >= 28:
            {
                var sender = new IPAddress(l3.Slice(14, 4));
                var target = new IPAddress(l3.Slice(24, 4));
                return new("arp", sender, target, -1, -1, $"#{frame.Number} ARP {(l3[7] == 1 ? "who-has" : "reply")} {target} tell {sender}");
            }
            case 0x0800 when l3.Length >= 20:
            {
                int ihl = (l3[0] & 0x0f) * 4;
                byte proto = l3[9];
                var src = new IPAddress(l3.Slice(12, 4));
                var dst = new IPAddress(l3.Slice(16, 4));
                return Transport(frame.Number, "IPv4", proto, src, dst, l3.Length >= ihl ? l3[ihl..] : []);
            }
            case 0x86DD when l3.Length >= 40:
            {
                var src = new IPAddress(l3.Slice(8, 16));
                var dst = new IPAddress(l3.Slice(24, 16));
                byte next = l3[6];
                int at = 40;
                while (next is 0 or 43 or 60 or 44 && l3.Length >= at + 8)
                {
                    int len = next == 44 ? 8 : (l3[at + 1] + 1) * 8;
                    next = l3[at];
                    at += len;
                }
                var upper = l3.Length >= at ? l3[at..] : [];
                if (next == 58 && upper.Length >= 1)
                {
                    byte icmpType = upper[0];
                    if (icmpType is 135 or 136 && upper.Length >= 24)
                    {
                        var target = new IPAddress(upper.Slice(8, 16));
                        return new("nd", src, target, -1, -1, $"#{frame.Number} IPv6 {src} > {dst} ICMPv6 neighbour {(icmpType == 135 ? "solicitation" : "advertisement")} for {target}");
                    }
                    if (icmpType is 133 or 134 or 130 or 131 or 132 or 143)
                        return new("link", src, dst, -1, -1, $"#{frame.Number} IPv6 {src} > {dst} ICMPv6 type {icmpType}");
                }
                return Transport(frame.Number, "IPv6", next, src, dst, upper);
            }
            default:
                return new("other", null, null, -1, -1, $"#{frame.Number} ethertype 0x{type:x4}");
        }
    }

    private static UnderlayPacket Transport(int number, string family, byte protocol, IPAddress src, IPAddress dst, ReadOnlySpan<byte> l4)
    {
        if (protocol is 6 or 17 && l4.Length >= 4)
        {
            int sp = BinaryPrimitives.ReadUInt16BigEndian(l4), dp = BinaryPrimitives.ReadUInt16BigEndian(l4[2..]);
            var kind = protocol == 6 ? "tcp" : "udp";
            return new(kind, src, dst, sp, dp, $"#{number} {family} {kind.ToUpperInvariant()} {src}.{sp} > {dst}.{dp}");
        }
        var name = protocol switch { 1 => "ICMP", 58 => "ICMPv6", _ => $"protocol {protocol}" };
        return new(name.ToLowerInvariant(), src, dst, -1, -1, $"#{number} {family} {src} > {dst} {name}{(protocol is 1 or 58 && l4.Length > 0 ? $" type {l4[0]}" : "")}");
    }

    /// <summary>Stops tcpdump if still running (the capture file goes with the topology's directory).</summary>
    public void Dispose()
    {
        try { Stop(); }
        catch (Exception) { /* a failed decode must not hide the test's own failure */ }
        _tcpdump.Dispose();
    }
}
