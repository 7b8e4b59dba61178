using System.Security.Cryptography;

namespace Ikev2Client.Protocol.Crypto;

/// <summary>One-shot HMAC over spans using the .NET primitives.</summary>
internal static class Hmac
{
    public static void Compute(HashAlgorithmName hash, ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> destination)
    {
        int written = hash.Name switch
        {
            "MD5" => HMACMD5.HashData(key, data, destination),
            "SHA1" => HMACSHA1.HashData(key, data, destination),
            "SHA256" => HMACSHA256.HashData(key, data, destination),
            "SHA384" => HMACSHA384.HashData(key, data, destination),
            "SHA512" => HMACSHA512.HashData(key, data, destination),
            _ => throw new CryptographicException("Unsupported HMAC hash."),
        };
        if (written != destination.Length)
            throw new CryptographicException("HMAC output length mismatch.");
    }

    public static int OutputLength(HashAlgorithmName hash) => hash.Name switch
    {
        "MD5" => 16,
        "SHA1" => 20,
        "SHA256" => 32,
        "SHA384" => 48,
        "SHA512" => 64,
        _ => throw new CryptographicException("Unsupported HMAC hash."),
    };
}
