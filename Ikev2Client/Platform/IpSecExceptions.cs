namespace Ikev2Client.Platform;

/// <summary>The requested SPI is already reserved (Android <c>IpSecManager.SpiUnavailableException</c>).</summary>
public sealed class SpiUnavailableException(string message, int spi) : Exception(message)
{
    /// <summary>The SPI that could not be reserved.</summary>
    public int Spi { get; } = spi;
}

/// <summary>A resource (SPIs, ports) is exhausted (Android <c>IpSecManager.ResourceUnavailableException</c>).</summary>
public sealed class ResourceUnavailableException : Exception
{
    /// <summary>Creates the exception with a message.</summary>
    public ResourceUnavailableException(string message) : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    public ResourceUnavailableException(string message, Exception inner) : base(message, inner)
    {
    }
}
