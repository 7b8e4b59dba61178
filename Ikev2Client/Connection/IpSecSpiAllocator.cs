using System.Net;
using Ikev2Client.Platform;
using Ikev2Client.Protocol;
using Ikev2Client.Protocol.Ike;

namespace Ikev2Client.Connection;

/// <summary>
/// The IKE session's SPI source backed by <see cref="IIpSecManager.AllocateSecurityParameterIndex"/> (as Android's
/// IKE library does): every inbound CHILD SA SPI the session proposes is a real reservation, which
/// <see cref="Take"/> later hands to the transform builder. Reservations never taken are released on dispose.
/// </summary>
public sealed class IpSecSpiAllocator : ISpiAllocator, IDisposable
{
    private readonly IIpSecManager _manager;
    private readonly IRandomSource _random;
    private readonly Dictionary<uint, SecurityParameterIndex> _reserved = new();

    /// <summary>Reserves inbound SPIs for <paramref name="localAddress"/> in <paramref name="manager"/>.</summary>
    public IpSecSpiAllocator(IIpSecManager manager, IPAddress localAddress, IRandomSource? random = null)
    {
        _manager = manager;
        LocalAddress = localAddress;
        _random = random ?? SystemRandomSource.Instance;
    }

    /// <summary>The destination the inbound SPIs are reserved for.</summary>
    public IPAddress LocalAddress { get; set; }

    /// <inheritdoc />
    public ulong AllocateIkeSpi() => new RandomSpiAllocator(_random).AllocateIkeSpi();

    /// <inheritdoc />
    public uint AllocateChildSpi()
    {
        var spi = _manager.AllocateSecurityParameterIndex(LocalAddress);
        lock (_reserved) _reserved[spi.Value] = spi;
        return spi.Value;
    }

    /// <summary>Takes over the reservation of <paramref name="spi"/> (the caller disposes it); reserves it now if unknown.</summary>
    public SecurityParameterIndex Take(uint spi)
    {
        lock (_reserved)
        {
            if (_reserved.Remove(spi, out var reservation)) return reservation;
        }
        return _manager.AllocateSecurityParameterIndex(LocalAddress, unchecked((int)spi));
    }

    /// <summary>Releases every reservation not taken.</summary>
    public void Dispose()
    {
        lock (_reserved)
        {
            foreach (var r in _reserved.Values) r.Dispose();
            _reserved.Clear();
        }
    }
}
