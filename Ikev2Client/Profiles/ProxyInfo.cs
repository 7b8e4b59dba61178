namespace Ikev2Client.Profiles;

/// <summary>An HTTP proxy pushed to the VPN network, like android.net.ProxyInfo.</summary>
public sealed record ProxyInfo(string Host, int Port, IReadOnlyList<string> Exclusions)
{
    /// <summary>Android's and strongSwan's default proxy port.</summary>
    public const int DefaultPort = 8080;

    /// <inheritdoc />
    public bool Equals(ProxyInfo? other) =>
        other is not null && Host == other.Host && Port == other.Port && Exclusions.SequenceEqual(other.Exclusions);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Host, Port);
}
