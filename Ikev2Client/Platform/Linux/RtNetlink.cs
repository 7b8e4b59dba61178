using System.Buffers.Binary;
using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;

namespace Ikev2Client.Platform.Linux;

/// <summary>
/// A NETLINK_ROUTE socket that sends one request at a time and waits for its acknowledgement, surfacing the
/// kernel's NLMSG_ERROR errno as <see cref="NetlinkException"/>. The socket belongs to the network namespace
/// of the thread that created it, so every later call (also from Dispose on another thread) acts on that
/// namespace.
/// </summary>
internal sealed unsafe class RtNetlink : IDisposable
{
    private const ushort NLMSG_ERROR = 2, NLMSG_DONE = 3;
    private const ushort NLM_F_REQUEST = 1, NLM_F_ACK = 4, NLM_F_REPLACE = 0x100, NLM_F_EXCL = 0x200, NLM_F_CREATE = 0x400;
    public const ushort RTM_NEWLINK = 16, RTM_DELLINK = 17, RTM_NEWADDR = 20, RTM_NEWROUTE = 24, RTM_DELROUTE = 25,
        RTM_NEWRULE = 32, RTM_DELRULE = 33;
    private const ushort IFLA_MTU = 4, IFLA_IFALIAS = 20, IFLA_AF_SPEC = 26, IFLA_INET6_ADDR_GEN_MODE = 8;
    private const byte IN6_ADDR_GEN_MODE_NONE = 1;
    private const ushort IFA_ADDRESS = 1, IFA_LOCAL = 2;
    private const byte IFA_F_NODAD = 0x02, IFA_F_PERMANENT = 0x80;
    private const ushort RTA_DST = 1, RTA_OIF = 4, RTA_TABLE = 15;
    private const ushort FRA_PRIORITY = 6, FRA_FWMARK = 10, FRA_TABLE = 15, FRA_FWMASK = 16;
    private const byte RTPROT_STATIC = 4, RT_SCOPE_UNIVERSE = 0, RT_SCOPE_LINK = 253, FR_ACT_TO_TBL = 1;
    public const byte RTN_UNICAST = 1, RTN_UNREACHABLE = 7, RTN_THROW = 9;
    private const uint FIB_RULE_INVERT = 2, IFF_UP = 1;

    private readonly SafeFileHandle _fd;
    private readonly byte[] _request = new byte[512];
    private readonly byte[] _response = new byte[16384];
    private readonly object _gate = new();
    private uint _seq;
    private int _length;

    public RtNetlink()
    {
        var fd = Libc.Socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0) throw new NetlinkException("open NETLINK_ROUTE socket", Libc.Errno);
        _fd = Libc.Own(fd);
        var addr = stackalloc byte[12]; // sockaddr_nl: family, pad, pid 0 (kernel assigns), groups 0
        new Span<byte>(addr, 12).Clear();
        *(ushort*)addr = Libc.AF_NETLINK;
        if (Libc.Bind(fd, addr, 12) != 0) throw new NetlinkException("bind NETLINK_ROUTE socket", Libc.Errno);
        _seq = (uint)Environment.TickCount;
    }

    /// <summary>
    /// Sets MTU and alias and turns off IPv6 link-local generation, then (in a second message, because the kernel
    /// applies IFLA_AF_SPEC after the flags) brings the link up.
    /// </summary>
    public void ConfigureLink(int ifIndex, int mtu, string? alias)
    {
        lock (_gate)
        {
            Begin(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK);
            var p = Reserve(16); // ifinfomsg
            BinaryPrimitives.WriteInt32LittleEndian(p[4..], ifIndex);
            AttrU32(IFLA_MTU, (uint)mtu);
            if (!string.IsNullOrEmpty(alias)) AttrString(IFLA_IFALIAS, alias);
            // IFLA_AF_SPEC { AF_INET6 { IFLA_INET6_ADDR_GEN_MODE = NONE } }: no link-local address on the TUN, so
            // the kernel sends no router solicitations or DAD probes into the tunnel.
            var spec = Nest(IFLA_AF_SPEC);
            var inet6 = Nest(Libc.AF_INET6);
            Attr(IFLA_INET6_ADDR_GEN_MODE, 1)[0] = IN6_ADDR_GEN_MODE_NONE;
            EndNest(inet6);
            EndNest(spec);
            Transact($"set link {ifIndex} mtu {mtu}");

            Begin(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK);
            p = Reserve(16);
            BinaryPrimitives.WriteInt32LittleEndian(p[4..], ifIndex);
            BinaryPrimitives.WriteUInt32LittleEndian(p[8..], IFF_UP);
            BinaryPrimitives.WriteUInt32LittleEndian(p[12..], IFF_UP);
            Transact($"set link {ifIndex} up");
        }
    }

    /// <summary>Deletes a link by index.</summary>
    public void DeleteLink(int ifIndex)
    {
        lock (_gate)
        {
            Begin(RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK);
            var p = Reserve(16);
            BinaryPrimitives.WriteInt32LittleEndian(p[4..], ifIndex);
            Transact($"delete link {ifIndex}");
        }
    }

    /// <summary>Adds an address to a link (IPv6 without duplicate address detection: the TUN is point-to-point).</summary>
    public void AddAddress(int ifIndex, IpPrefix address)
    {
        lock (_gate)
        {
            Begin(RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
            var p = Reserve(8); // ifaddrmsg
            p[0] = (byte)Family(address);
            p[1] = (byte)address.PrefixLength;
            p[2] = address.IsIPv6 ? (byte)(IFA_F_NODAD | IFA_F_PERMANENT) : IFA_F_PERMANENT;
            p[3] = RT_SCOPE_UNIVERSE;
            BinaryPrimitives.WriteInt32LittleEndian(p[4..], ifIndex);
            AttrAddress(IFA_LOCAL, address);
            AttrAddress(IFA_ADDRESS, address);
            Transact($"add address {address} to link {ifIndex}");
        }
    }

    /// <summary>Adds (or with <paramref name="delete"/> removes) a route in <paramref name="table"/>.</summary>
    /// <param name="type"><see cref="RTN_UNICAST"/> through <paramref name="ifIndex"/>, <see cref="RTN_THROW"/>, or
    /// <see cref="RTN_UNREACHABLE"/> (senders get EHOSTUNREACH at once).</param>
    /// <param name="replace">Add: replace an existing route with the same key instead of failing with EEXIST.</param>
    public void Route(bool delete, IpPrefix destination, byte type, uint table, int ifIndex, bool replace = false)
    {
        lock (_gate)
        {
            Begin(delete ? RTM_DELROUTE : RTM_NEWROUTE,
                (ushort)(delete ? NLM_F_REQUEST | NLM_F_ACK
                    : replace ? NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE
                    : NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL));
            var p = Reserve(12); // rtmsg
            p[0] = (byte)Family(destination);
            p[1] = (byte)destination.PrefixLength;
            p[4] = table < 256 ? (byte)table : (byte)0; // RT_TABLE_UNSPEC: RTA_TABLE carries the real id
            p[5] = RTPROT_STATIC;
            p[6] = type == RTN_UNICAST ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
            p[7] = type;
            AttrU32(RTA_TABLE, table);
            if (destination.PrefixLength > 0) AttrAddress(RTA_DST, new IpPrefix(destination.Network, destination.PrefixLength));
            if (type == RTN_UNICAST && ifIndex > 0) AttrU32(RTA_OIF, (uint)ifIndex);
            Transact($"{(delete ? "delete" : replace ? "replace" : "add")} {type switch { RTN_THROW => "throw ", RTN_UNREACHABLE => "unreachable ", _ => "" }}route {destination} table {table}");
        }
    }

    /// <summary>Adds or removes the policy rule "not fwmark <paramref name="mark"/> lookup <paramref name="table"/>".</summary>
    public void Rule(bool delete, AddressFamily family, uint priority, uint table, uint mark)
    {
        lock (_gate)
        {
            Begin(delete ? RTM_DELRULE : RTM_NEWRULE,
                (ushort)(delete ? NLM_F_REQUEST | NLM_F_ACK : NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL));
            var p = Reserve(12); // fib_rule_hdr
            p[0] = (byte)(family == AddressFamily.InterNetworkV6 ? Libc.AF_INET6 : Libc.AF_INET);
            p[4] = table < 256 ? (byte)table : (byte)0;
            p[7] = FR_ACT_TO_TBL;
            BinaryPrimitives.WriteUInt32LittleEndian(p[8..], FIB_RULE_INVERT);
            AttrU32(FRA_PRIORITY, priority);
            AttrU32(FRA_FWMARK, mark);
            AttrU32(FRA_FWMASK, 0xFFFFFFFF);
            AttrU32(FRA_TABLE, table);
            Transact($"{(delete ? "delete" : "add")} rule {priority}: not fwmark 0x{mark:x} lookup {table}");
        }
    }

    private static int Family(IpPrefix p) => p.IsIPv6 ? Libc.AF_INET6 : Libc.AF_INET;

    private void Begin(ushort type, ushort flags)
    {
        Array.Clear(_request);
        _seq++;
        BinaryPrimitives.WriteUInt16LittleEndian(_request.AsSpan(4), type);
        BinaryPrimitives.WriteUInt16LittleEndian(_request.AsSpan(6), flags);
        BinaryPrimitives.WriteUInt32LittleEndian(_request.AsSpan(8), _seq);
        _length = 16;
    }

    private Span<byte> Reserve(int size)
    {
        var span = _request.AsSpan(_length, size);
        _length += (size + 3) & ~3;
        return span;
    }

    private Span<byte> Attr(ushort type, int payloadLength)
    {
        var a = Reserve(4 + payloadLength);
        BinaryPrimitives.WriteUInt16LittleEndian(a, (ushort)(4 + payloadLength));
        BinaryPrimitives.WriteUInt16LittleEndian(a[2..], type);
        return a[4..];
    }

    private int Nest(ushort type)
    {
        var start = _length;
        Attr(type, 0);
        return start;
    }

    private void EndNest(int start) =>
        BinaryPrimitives.WriteUInt16LittleEndian(_request.AsSpan(start), (ushort)(_length - start));

    private void AttrU32(ushort type, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(Attr(type, 4), value);

    private void AttrAddress(ushort type, IpPrefix p)
    {
        var dest = Attr(type, p.IsIPv6 ? 16 : 4);
        p.Address.TryWriteBytes(dest, out _);
    }

    private void AttrString(ushort type, string value)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(value);
        var dest = Attr(type, bytes.Length + 1);
        bytes.CopyTo(dest);
        dest[bytes.Length] = 0;
    }

    private void Transact(string operation)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_request, (uint)_length);
        var added = false;
        try
        {
            _fd.DangerousAddRef(ref added);
            var fd = (int)_fd.DangerousGetHandle();
            var kernel = stackalloc byte[12];
            new Span<byte>(kernel, 12).Clear();
            *(ushort*)kernel = Libc.AF_NETLINK;
            fixed (byte* req = _request)
            {
                while (Libc.SendTo(fd, req, (nuint)_length, 0, kernel, 12) < 0)
                    if (Libc.Errno != Libc.EINTR) throw new NetlinkException(operation, Libc.Errno);
            }
            while (true)
            {
                nint n;
                fixed (byte* resp = _response) n = Libc.Recv(fd, resp, (nuint)_response.Length, 0);
                if (n < 0)
                {
                    if (Libc.Errno == Libc.EINTR) continue;
                    throw new NetlinkException(operation, Libc.Errno);
                }
                if (TryFindAck(_response.AsSpan(0, (int)n), out var errno))
                {
                    if (errno != 0) throw new NetlinkException(operation, errno);
                    return;
                }
            }
        }
        finally
        {
            if (added) _fd.DangerousRelease();
        }
    }

    /// <summary>Walks the received messages for the NLMSG_ERROR (ack) answering our sequence number.</summary>
    private bool TryFindAck(ReadOnlySpan<byte> data, out int errno)
    {
        errno = 0;
        while (data.Length >= 16)
        {
            var len = (int)BinaryPrimitives.ReadUInt32LittleEndian(data);
            if (len < 16 || len > data.Length) return false;
            var type = BinaryPrimitives.ReadUInt16LittleEndian(data[4..]);
            var seq = BinaryPrimitives.ReadUInt32LittleEndian(data[8..]);
            if (seq == _seq)
            {
                if (type == NLMSG_ERROR && len >= 20)
                {
                    errno = -BinaryPrimitives.ReadInt32LittleEndian(data[16..]);
                    return true;
                }
                if (type == NLMSG_DONE) return true;
            }
            var aligned = (len + 3) & ~3;
            if (aligned >= data.Length) break;
            data = data[aligned..];
        }
        return false;
    }

    public void Dispose() => _fd.Dispose();
}
