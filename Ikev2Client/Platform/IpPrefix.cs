using System.Net;
using System.Net.Sockets;

namespace Ikev2Client.Platform;

/// <summary>An IPv4 or IPv6 prefix (address plus prefix length) as handed to a VPN interface builder.</summary>
public readonly record struct IpPrefix
{
    /// <summary>The address as given (host bits are kept; use <see cref="Network"/> for the masked form).</summary>
    public IPAddress Address { get; }

    /// <summary>Prefix length in bits (0..32 for IPv4, 0..128 for IPv6).</summary>
    public int PrefixLength { get; }

    /// <summary>Creates a prefix; throws <see cref="ArgumentException"/> for a length out of range for the family.</summary>
    public IpPrefix(IPAddress address, int prefixLength)
    {
        ArgumentNullException.ThrowIfNull(address);
        var max = address.AddressFamily switch
        {
            AddressFamily.InterNetwork => 32,
            AddressFamily.InterNetworkV6 => 128,
            _ => throw new ArgumentException($"unsupported address family {address.AddressFamily}", nameof(address)),
        };
        if (prefixLength < 0 || prefixLength > max)
            throw new ArgumentOutOfRangeException(nameof(prefixLength), prefixLength, $"prefix length must be 0..{max}");
        Address = address;
        PrefixLength = prefixLength;
    }

    /// <summary>True for IPv6 prefixes.</summary>
    public bool IsIPv6 => Address.AddressFamily == AddressFamily.InterNetworkV6;

    /// <summary>The address with its host bits cleared.</summary>
    public IPAddress Network
    {
        get
        {
            Span<byte> bytes = stackalloc byte[16];
            Address.TryWriteBytes(bytes, out var n);
            bytes = bytes[..n];
            for (var i = 0; i < n; i++)
            {
                var bitsInByte = Math.Clamp(PrefixLength - i * 8, 0, 8);
                bytes[i] &= (byte)(0xFF << (8 - bitsInByte));
            }
            return new IPAddress(bytes);
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{Address}/{PrefixLength}";
}
