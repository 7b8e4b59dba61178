using System.Net;

namespace Ikev2Client.Platform;

/// <summary>
/// A reserved SPI (Android <c>IpSecManager.SecurityParameterIndex</c>). Disposing it releases the reservation.
/// </summary>
public sealed class SecurityParameterIndex : IDisposable
{
    /// <summary>The value Android uses for "no SPI".</summary>
    public const int InvalidSpi = 0;

    private Action<SecurityParameterIndex>? _release;

    internal SecurityParameterIndex(IPAddress destinationAddress, uint spi, Action<SecurityParameterIndex> release)
    {
        DestinationAddress = destinationAddress;
        Value = spi;
        _release = release;
    }

    /// <summary>The SPI as Android returns it (the 32 bits as a signed int).</summary>
    public int Spi => unchecked((int)Value);

    /// <summary>The SPI as the unsigned number carried on the wire.</summary>
    public uint Value { get; }

    /// <summary>The destination address the SPI was reserved for.</summary>
    public IPAddress DestinationAddress { get; }

    /// <summary>False once disposed.</summary>
    public bool IsReserved => Volatile.Read(ref _release) is not null;

    /// <summary>Releases the reservation (idempotent).</summary>
    public void Dispose() => Interlocked.Exchange(ref _release, null)?.Invoke(this);

    /// <inheritdoc />
    public override string ToString() => $"SPI 0x{Value:x8} -> {DestinationAddress}";
}
