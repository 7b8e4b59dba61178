namespace Ikev2Client.Profiles;

/// <summary>Split tunnelling: subnets to send through the tunnel (empty = everything), subnets to keep
/// outside it, and whether to drop IPv4/IPv6 traffic that the traffic selectors don't cover.
/// Entries are CIDR prefixes, single addresses or <c>a - b</c> ranges.</summary>
public sealed record SplitTunneling(IReadOnlyList<string> Include, IReadOnlyList<string> Exclude, bool BlockIpv4, bool BlockIpv6)
{
    /// <summary>No split tunnelling: everything through the tunnel, nothing blocked.</summary>
    public static SplitTunneling None { get; } = new([], [], false, false);

    /// <summary>True when nothing differs from <see cref="None"/>.</summary>
    public bool IsEmpty => Include.Count == 0 && Exclude.Count == 0 && !BlockIpv4 && !BlockIpv6;

    /// <inheritdoc />
    public bool Equals(SplitTunneling? other) =>
        other is not null && Include.SequenceEqual(other.Include) && Exclude.SequenceEqual(other.Exclude)
        && BlockIpv4 == other.BlockIpv4 && BlockIpv6 == other.BlockIpv6;

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Include.Count, Exclude.Count, BlockIpv4, BlockIpv6);
}
