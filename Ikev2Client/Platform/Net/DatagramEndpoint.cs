using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Ikev2Client.Platform.Net;

/// <summary>
/// A UDP peer address as a value (family, 4 or 16 address bytes, port) so batched receives report sources
/// without allocating an <see cref="IPEndPoint"/> per datagram.
/// </summary>
public readonly struct DatagramEndpoint : IEquatable<DatagramEndpoint>
{
    [InlineArray(16)]
    private struct Bytes16
    {
        private byte _element;
    }

    private readonly Bytes16 _address;

    /// <summary>InterNetwork or InterNetworkV6 (default: Unspecified for an empty value).</summary>
    public AddressFamily Family { get; }

    /// <summary>UDP port.</summary>
    public ushort Port { get; }

    /// <summary>IPv6 scope id (0 for IPv4 and global addresses).</summary>
    public uint ScopeId { get; }

    /// <summary>Creates an endpoint from raw address bytes (4 or 16).</summary>
    public DatagramEndpoint(ReadOnlySpan<byte> address, ushort port, uint scopeId = 0)
    {
        Family = address.Length switch
        {
            4 => AddressFamily.InterNetwork,
            16 => AddressFamily.InterNetworkV6,
            _ => throw new ArgumentException("address must be 4 or 16 bytes", nameof(address)),
        };
        address.CopyTo(_address);
        Port = port;
        ScopeId = scopeId;
    }

    /// <summary>Converts from an <see cref="IPEndPoint"/>.</summary>
    public static DatagramEndpoint From(IPEndPoint endPoint)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        Span<byte> b = stackalloc byte[16];
        endPoint.Address.TryWriteBytes(b, out var n);
        return new DatagramEndpoint(b[..n], (ushort)endPoint.Port, n == 16 ? (uint)endPoint.Address.ScopeId : 0);
    }

    /// <summary>Number of address bytes (4, 16, or 0 for an empty value).</summary>
    public int AddressLength => Family switch { AddressFamily.InterNetwork => 4, AddressFamily.InterNetworkV6 => 16, _ => 0 };

    /// <summary>Copies the address bytes into <paramref name="destination"/> and returns how many.</summary>
    public int CopyAddressTo(Span<byte> destination)
    {
        ReadOnlySpan<byte> all = _address;
        all[..AddressLength].CopyTo(destination);
        return AddressLength;
    }

    /// <summary>The address as an <see cref="IPAddress"/> (allocates).</summary>
    public IPAddress ToIPAddress()
    {
        ReadOnlySpan<byte> all = _address;
        return Family == AddressFamily.InterNetworkV6 ? new IPAddress(all, ScopeId) : new IPAddress(all[..4]);
    }

    /// <summary>The endpoint as an <see cref="IPEndPoint"/> (allocates).</summary>
    public IPEndPoint ToIPEndPoint() => new(ToIPAddress(), Port);

    /// <summary>Writes a Linux sockaddr_in (16 bytes) or sockaddr_in6 (28 bytes); returns its length.</summary>
    internal int WriteSockAddr(Span<byte> sa, bool asIPv6)
    {
        sa[..28].Clear();
        ReadOnlySpan<byte> all = _address;
        if (Family == AddressFamily.InterNetworkV6 || asIPv6)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(sa, 10); // AF_INET6, host order (little-endian hosts)
            BinaryPrimitives.WriteUInt16BigEndian(sa[2..], Port);
            if (Family == AddressFamily.InterNetworkV6)
            {
                all.CopyTo(sa[8..24]);
                BinaryPrimitives.WriteUInt32LittleEndian(sa[24..], ScopeId);
            }
            else
            {
                sa[18] = 0xFF; sa[19] = 0xFF; // ::ffff:a.b.c.d for a dual-stack socket
                all[..4].CopyTo(sa[20..24]);
            }
            return 28;
        }
        BinaryPrimitives.WriteUInt16LittleEndian(sa, 2); // AF_INET
        BinaryPrimitives.WriteUInt16BigEndian(sa[2..], Port);
        all[..4].CopyTo(sa[4..8]);
        return 16;
    }

    /// <summary>Reads a Linux sockaddr_in / sockaddr_in6; an unknown family gives the empty value.</summary>
    internal static DatagramEndpoint ReadSockAddr(ReadOnlySpan<byte> sa)
    {
        var family = BinaryPrimitives.ReadUInt16LittleEndian(sa);
        var port = BinaryPrimitives.ReadUInt16BigEndian(sa[2..]);
        return family switch
        {
            2 => new DatagramEndpoint(sa.Slice(4, 4), port),
            10 => new DatagramEndpoint(sa.Slice(8, 16), port, BinaryPrimitives.ReadUInt32LittleEndian(sa[24..])),
            _ => default,
        };
    }

    /// <inheritdoc />
    public bool Equals(DatagramEndpoint other)
    {
        ReadOnlySpan<byte> a = _address, b = other._address;
        return Family == other.Family && Port == other.Port && ScopeId == other.ScopeId && a.SequenceEqual(b);
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is DatagramEndpoint e && Equals(e);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var h = new HashCode();
        h.Add(Family);
        h.Add(Port);
        h.AddBytes(_address);
        return h.ToHashCode();
    }

    /// <summary>Equality.</summary>
    public static bool operator ==(DatagramEndpoint left, DatagramEndpoint right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(DatagramEndpoint left, DatagramEndpoint right) => !left.Equals(right);

    /// <inheritdoc />
    public override string ToString() => AddressLength == 0 ? "(none)" : ToIPEndPoint().ToString();
}
