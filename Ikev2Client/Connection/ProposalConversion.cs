using Ikev2Client.Profiles;
using Ikev2Client.Protocol.Crypto;

namespace Ikev2Client.Connection;

/// <summary>Parses strongSwan proposal strings (profiles, configs) into the IKE session's proposal type.</summary>
public static class ProposalConversion
{
    /// <summary>Parses comma-separated proposals; false with a one-line error naming the bad token.</summary>
    public static bool TryParse(string text, bool isEsp, out IReadOnlyList<ProposalSpec> proposals, out string? error)
    {
        proposals = [];
        if (!ProposalSyntax.TryParse(text, isEsp, out var parsed, out error)) return false;
        proposals = parsed;
        return true;
    }

    /// <summary>
    /// The proposals a profile offers: its own (<paramref name="text"/>, strongSwan syntax) when it has them, else the
    /// defaults, narrowed to <paramref name="allowedAlgorithms"/> (Android <c>setAllowedAlgorithms</c>) when that is set.
    /// Without an allowed list the defaults are <see cref="ProposalSpec.DefaultIke"/> / <see cref="ProposalSpec.DefaultEsp"/>; with
    /// one they are Android's default candidates (<see cref="ProposalSpec.IkeCandidates"/> / <see cref="ProposalSpec.DefaultEsp"/>)
    /// keeping only the ciphers and integrity algorithms the list names (PRFs, groups and ESN modes are not IpSecAlgorithms
    /// and stay). Explicit proposals are checked against the list by the profile validator, not filtered here.
    /// </summary>
    /// <exception cref="ArgumentException">The text does not parse, or the list leaves no proposal.</exception>
    public static IReadOnlyList<ProposalSpec> ForProfile(string? text, bool isEsp, IReadOnlyCollection<string>? allowedAlgorithms)
    {
        if (!string.IsNullOrWhiteSpace(text))
            return TryParse(text, isEsp, out var parsed, out var error) ? parsed : throw new ArgumentException(error);
        if (allowedAlgorithms == null) return isEsp ? ProposalSpec.DefaultEsp : ProposalSpec.DefaultIke;
        var restricted = Restrict(isEsp ? ProposalSpec.DefaultEsp : ProposalSpec.IkeCandidates, allowedAlgorithms);
        return restricted.Count > 0 ? restricted
            : throw new ArgumentException($"allowedAlgorithms ({string.Join(", ", allowedAlgorithms)}) leaves no default {(isEsp ? "ESP" : "IKE")} proposal");
    }

    /// <summary>Keeps only the ciphers and integrity algorithms whose Android name is in <paramref name="allowed"/>;
    /// drops proposals left without a cipher, or with a classic cipher but no integrity.</summary>
    public static IReadOnlyList<ProposalSpec> Restrict(IReadOnlyList<ProposalSpec> proposals, IReadOnlyCollection<string> allowed)
    {
        var result = new List<ProposalSpec>();
        foreach (var p in proposals)
        {
            var ciphers = p.Encryption.Where(e => IpSecAlgorithmNames.ForCipher(e.Id) is { } n && allowed.Contains(n)).ToArray();
            var integrity = p.Integrity.Where(i => IpSecAlgorithmNames.ForIntegrity(i) is { } n && allowed.Contains(n)).ToArray();
            if (ciphers.Length == 0) continue;
            bool aead = ciphers[0].IsAead;
            if (!aead && integrity.Length == 0) continue;
            result.Add(p with { Encryption = ciphers, Integrity = aead ? [] : integrity });
        }
        return result;
    }
}
