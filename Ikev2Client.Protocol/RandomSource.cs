using System.Security.Cryptography;

namespace Ikev2Client.Protocol;

/// <summary>
/// The one source of randomness the protocol core uses (nonces, SPIs, IVs, private keys, padding).
/// Injected so tests and captured-exchange replays can be deterministic.
/// </summary>
public interface IRandomSource
{
    /// <summary>Fills <paramref name="destination"/> with cryptographically strong random bytes.</summary>
    void Fill(Span<byte> destination);
}

/// <summary>Cryptographically secure randomness from the operating system.</summary>
public sealed class SystemRandomSource : IRandomSource
{
    /// <summary>The one instance (it keeps no state).</summary>
    public static readonly SystemRandomSource Instance = new();
    /// <inheritdoc />
    public void Fill(Span<byte> destination) => RandomNumberGenerator.Fill(destination);
}
