using Ikev2Client.Protocol;

namespace Ikev2Client.Tests.Crypto;

/// <summary>Returns fixed bytes (private keys from RFC vectors), then a deterministic counter stream.</summary>
internal sealed class FixedRandomSource(params byte[][] chunks) : IRandomSource
{
    private int _next;
    private byte _counter = 1;

    public void Fill(Span<byte> destination)
    {
        if (_next < chunks.Length)
        {
            chunks[_next++].AsSpan(0, destination.Length).CopyTo(destination);
            return;
        }
        for (int i = 0; i < destination.Length; i++)
            destination[i] = _counter++;
    }
}

/// <summary>Deterministic pseudo-random bytes from a seed.</summary>
internal sealed class SeededRandomSource(int seed) : IRandomSource
{
    private readonly Random _random = new(seed);
    public void Fill(Span<byte> destination) => _random.NextBytes(destination);
}

internal static class Hex
{
    public static byte[] Parse(string text) =>
        Convert.FromHexString(new string(text.Where(c => !char.IsWhiteSpace(c) && c != ':').ToArray()));
}
