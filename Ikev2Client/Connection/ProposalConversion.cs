using CryptoSpec = Ikev2Client.Protocol.Crypto.ProposalSpec;
using IkeSpec = Ikev2Client.Protocol.Ike.ProposalSpec;

namespace Ikev2Client.Connection;

/// <summary>Parses strongSwan proposal strings (profiles, configs) into the IKE session's proposal type.</summary>
public static class ProposalConversion
{
    /// <summary>Parses comma-separated proposals; false with a one-line error naming the bad token.</summary>
    public static bool TryParse(string text, bool isEsp, out IReadOnlyList<IkeSpec> proposals, out string? error)
    {
        proposals = [];
        if (!Protocol.Crypto.ProposalSyntax.TryParse(text, isEsp, out var parsed, out error)) return false;
        proposals = parsed.Select(Convert).ToArray();
        return true;
    }

    /// <summary>Converts one parsed proposal.</summary>
    public static IkeSpec Convert(CryptoSpec spec) => new(
        spec.Encryption.Select(e => new Protocol.Ike.EncryptionSpec(e.Id, e.KeyBits)).ToArray(),
        spec.Integrity.ToArray(), spec.Prfs.ToArray(), spec.KeGroups.ToArray(), spec.Esn.ToArray());
}
