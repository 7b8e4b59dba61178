using System.Text.RegularExpressions;

namespace Ikev2Client.Tests.Interop;

/// <summary>One IKE SA line of <c>swanctl --list-sas</c>.</summary>
public sealed record IkeSaEntry(string Name, int UniqueId, string State, string? VirtualIp);

/// <summary>Parsed <c>swanctl --list-sas</c> output (the raw text plus the IKE/CHILD SA counts).</summary>
public sealed partial record SaListing(string Raw, IReadOnlyList<IkeSaEntry> IkeSas, int ChildSaCount)
{
    /// <summary>Number of IKE SAs in any state.</summary>
    public int IkeSaCount => IkeSas.Count;

    /// <summary>Number of IKE SAs in state ESTABLISHED.</summary>
    public int EstablishedCount => IkeSas.Count(s => s.State == "ESTABLISHED");

    /// <summary>Parses swanctl's text output; unknown lines are ignored.</summary>
    public static SaListing Parse(string raw)
    {
        var sas = new List<IkeSaEntry>();
        var children = 0;
        IkeSaEntry? current = null;
        foreach (var line in raw.Split('\n'))
        {
            var ike = IkeLine().Match(line);
            if (ike.Success)
            {
                if (current != null) sas.Add(current);
                current = new IkeSaEntry(ike.Groups[1].Value, int.Parse(ike.Groups[2].Value), ike.Groups[3].Value, null);
                continue;
            }
            var local = LocalLine().Match(line);
            if (local.Success && current != null && local.Groups[1].Success)
                current = current with { VirtualIp = local.Groups[1].Value };
            if (ChildLine().IsMatch(line)) children++;
        }
        if (current != null) sas.Add(current);
        return new SaListing(raw, sas, children);
    }

    [GeneratedRegex(@"^(\S+): #(\d+), (\w+), IKEv\d")]
    private static partial Regex IkeLine();

    [GeneratedRegex(@"^\s+local\s+'.*' @ \S+(?: \[([0-9a-fA-F.:]+)\])?")]
    private static partial Regex LocalLine();

    [GeneratedRegex(@"^\s+\S+: #\d+, reqid \d+, \w+,")]
    private static partial Regex ChildLine();
}
