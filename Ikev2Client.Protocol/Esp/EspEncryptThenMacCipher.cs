using System.Security.Cryptography;

namespace Ikev2Client.Protocol.Esp;

/// <summary>
/// A classic ESP transform: an <see cref="EspEncryption"/> (AES-CBC or AES-CTR) followed by an <see cref="EspIntegrity"/>
/// (HMAC or AES-XCBC/CMAC) over SPI | Sequence | IV | ciphertext [| Seq-high with ESN], encrypt-then-MAC as RFC 4303
/// §3.3.2 orders it. The receiver verifies the ICV (constant time) before decrypting anything.
/// </summary>
internal sealed class EspEncryptThenMacCipher : EspCipher
{
    private readonly EspEncryption _encryption;
    private readonly EspIntegrity _sealMac;
    private readonly EspIntegrity _openMac;

    /// <param name="encryption">The cipher (owned: disposed with this).</param>
    /// <param name="sealMac">The MAC used when sealing (owned).</param>
    /// <param name="openMac">A second instance of the same MAC used when opening (owned), so the two directions share no state.</param>
    public EspEncryptThenMacCipher(EspEncryption encryption, EspIntegrity sealMac, EspIntegrity openMac)
    {
        _encryption = encryption;
        _sealMac = sealMac;
        _openMac = openMac;
    }

    public override int IvLength => _encryption.IvLength;
    public override int IcvLength => _sealMac.IcvLength;
    public override int Alignment => _encryption.Alignment;

    public override void GenerateIv(ulong sequence, Span<byte> iv) => _encryption.GenerateIv(sequence, iv);

    public override void Seal(Span<byte> packet, int dataLength, uint sequenceHigh, bool esn)
    {
        int ivLength = _encryption.IvLength;
        _encryption.Encrypt(packet.Slice(IvOffset, ivLength), packet.Slice(IvOffset + ivLength, dataLength));
        int authenticated = IvOffset + ivLength + dataLength;
        _sealMac.Compute(packet[..authenticated], sequenceHigh, esn, packet.Slice(authenticated, IcvLength));
    }

    public override bool Open(Span<byte> packet, int dataLength, uint sequenceHigh, bool esn)
    {
        int ivLength = _encryption.IvLength;
        int authenticated = IvOffset + ivLength + dataLength;
        Span<byte> expected = stackalloc byte[64];
        expected = expected[..IcvLength];
        _openMac.Compute(packet[..authenticated], sequenceHigh, esn, expected);
        if (!CryptographicOperations.FixedTimeEquals(expected, packet.Slice(authenticated, IcvLength)))
        {
            return false;
        }

        _encryption.Decrypt(packet.Slice(IvOffset, ivLength), packet.Slice(IvOffset + ivLength, dataLength));
        return true;
    }

    public override void Dispose()
    {
        _encryption.Dispose();
        _sealMac.Dispose();
        _openMac.Dispose();
    }
}
