using System.Net;
using System.Numerics;

namespace Ikev2Client.Protocol.Ike;

/// <summary>
/// A responder's pool of virtual IP addresses (RFC 7296 §3.15.1 INTERNAL_IP4/6_ADDRESS). Thread-safe so one
/// pool can serve many sessions. The network and (IPv4) broadcast addresses are never handed out.
/// </summary>
public sealed class IkeAddressPool
{
    private readonly object _lock = new();
    private readonly HashSet<BigInteger> _inUse = new();
    private readonly BigInteger _first;
    private readonly BigInteger _last;
    private readonly int _bytes;
    private BigInteger _next;

    /// <summary>A pool of the host addresses of <paramref name="network"/>.</summary>
    public IkeAddressPool(IPNetwork network)
    {
        Network = network;
        var b = network.BaseAddress.GetAddressBytes();
        _bytes = b.Length;
        var size = BigInteger.One << (_bytes * 8 - network.PrefixLength);
        var baseNumber = new BigInteger(b, isUnsigned: true, isBigEndian: true);
        _first = baseNumber + 1;
        _last = baseNumber + size - (_bytes == 4 ? 2 : 1);
        _next = _first;
    }

    /// <summary>The network the addresses come from.</summary>
    public IPNetwork Network { get; }

    /// <summary>Takes a free address; false when the pool is exhausted.</summary>
    public bool TryAcquire(out IPAddress address)
    {
        lock (_lock)
        {
            var span = _last - _first + 1;
            for (BigInteger i = 0; i < span; i++)
            {
                var candidate = _next;
                _next = _next >= _last ? _first : _next + 1;
                if (_inUse.Add(candidate))
                {
                    address = ToAddress(candidate);
                    return true;
                }
            }
        }
        address = IPAddress.None;
        return false;
    }

    /// <summary>Returns an address to the pool.</summary>
    public void Release(IPAddress address)
    {
        lock (_lock) _inUse.Remove(new BigInteger(address.GetAddressBytes(), isUnsigned: true, isBigEndian: true));
    }

    private IPAddress ToAddress(BigInteger n)
    {
        var raw = n.ToByteArray(isUnsigned: true, isBigEndian: true);
        var bytes = new byte[_bytes];
        raw.CopyTo(bytes, _bytes - raw.Length);
        return new IPAddress(bytes);
    }
}
