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
        proposals = parsed.Select(IkeSpec.From).ToArray();
        return true;
    }
}
