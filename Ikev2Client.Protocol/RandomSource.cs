using System.Security.Cryptography;

namespace Ikev2Client.Protocol;

/// <summary>
/// The one source of randomness the protocol core uses (nonces, SPIs, IVs, private keys, padding).
/// Injected so tests and captured-exchange replays can be deterministic.
/// </summary>
public interface IRandomSource
{
    void Fill(Span<byte> destination);
}

/// <summary>Cryptographically secure randomness from the operating system.</summary>
public sealed class SystemRandomSource : IRandomSource
{
    public static readonly SystemRandomSource Instance = new();
    public void Fill(Span<byte> destination) => RandomNumberGenerator.Fill(destination);
}
