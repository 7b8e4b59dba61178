using System.Net;
using System.Net.Sockets;
using System.Text;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;

namespace Ikev2Client.Protocol.Ike.Tasks;

/// <summary>
/// The configuration payload in IKE_AUTH (RFC 7296 §2.19, §3.15): the initiator requests virtual IPs, DNS
/// servers and subnets; the responder assigns an address from its pool and answers CFG_REPLY.
/// </summary>
internal sealed class ConfigTask : IkeTask
{
    private ConfigPayload? _reply;

    public ConfigTask(IkeSa sa) : base(sa) { }

    public override void BuildRequest(IkeMessage request)
    {
        if (!Sa.Options.RequestConfiguration) return;
        var attributes = new List<ConfigAttribute>();
        if (Sa.Options.RequestedAddressFamilies.Contains(AddressFamily.InterNetwork))
        {
            var previous = Sa.Options.PreviousVirtualAddresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork);
            attributes.Add(previous != null ? ConfigAttribute.Address(ConfigAttributeType.InternalIp4Address, previous)
                : ConfigAttribute.Request(ConfigAttributeType.InternalIp4Address));
            attributes.Add(ConfigAttribute.Request(ConfigAttributeType.InternalIp4Dns));
        }
        if (Sa.Options.RequestedAddressFamilies.Contains(AddressFamily.InterNetworkV6))
        {
            var previous = Sa.Options.PreviousVirtualAddresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetworkV6);
            attributes.Add(previous != null ? ConfigAttribute.Address(ConfigAttributeType.InternalIp6Address, previous, 128)
                : ConfigAttribute.Request(ConfigAttributeType.InternalIp6Address));
            attributes.Add(ConfigAttribute.Request(ConfigAttributeType.InternalIp6Dns));
        }
        attributes.Add(ConfigAttribute.Request(ConfigAttributeType.InternalIp4Subnet));
        if (Sa.Options.RequestedAddressFamilies.Contains(AddressFamily.InterNetworkV6))
            attributes.Add(ConfigAttribute.Request(ConfigAttributeType.InternalIp6Subnet));
        // RFC 8598 §3.1: an empty INTERNAL_DNS_DOMAIN asks for the split-DNS domains.
        attributes.Add(ConfigAttribute.Request(ConfigAttributeType.InternalDnsDomain));
        request.Payloads.Add(new ConfigPayload(ConfigType.Request, attributes));
    }

    public override TaskResult ProcessResponse(IkeMessage response)
    {
        if (Sa.Failure != null) return TaskResult.Failed;
        var cp = response.Get<ConfigPayload>();
        if (cp == null || cp.ConfigType != ConfigType.Reply) return TaskResult.Done;
        var config = Parse(cp);
        Sa.ReceivedConfiguration = config;
        Sa.Emit(new IkeEvent.ConfigReceived(config));
        return TaskResult.Done;
    }

    internal static IkeConfiguration Parse(ConfigPayload cp)
    {
        var addresses = new List<IPNetwork>();
        var dns = new List<IPAddress>();
        var subnets = new List<IPNetwork>();
        var domains = new List<string>();
        var prefixes = new Dictionary<IPAddress, int>();
        foreach (var a in cp.Attributes.Where(a => a.Value.Length > 0))
        {
            switch (a.Type)
            {
                case ConfigAttributeType.InternalIp4Address:
                    addresses.Add(new IPNetwork(a.AsAddress()!, 32));
                    break;
                case ConfigAttributeType.InternalIp6Address:
                {
                    // The address is ours whatever its prefix (which may have host bits set, or be 0 from some peers).
                    var address = a.AsAddress()!;
                    addresses.Add(new IPNetwork(address, 128));
                    if (a.PrefixLength is int prefix and >= 1 and < 128) prefixes[address] = prefix;
                    break;
                }
                case ConfigAttributeType.InternalIp4Dns or ConfigAttributeType.InternalIp6Dns:
                    dns.Add(a.AsAddress()!);
                    break;
                case ConfigAttributeType.InternalIp4Subnet or ConfigAttributeType.InternalIp6Subnet:
                    if (TryNetwork(a.AsAddress()!, a.PrefixLength ?? 0, out var net)) subnets.Add(net);
                    break;
                case ConfigAttributeType.InternalDnsDomain:
                    if (DnsDomain(a.Value) is { } domain && !domains.Contains(domain)) domains.Add(domain);
                    break;
            }
        }
        return new IkeConfiguration(addresses, dns, subnets, domains) { Ipv6PrefixLengths = prefixes };
    }

    /// <summary>
    /// An INTERNAL_DNS_DOMAIN value (RFC 8598 §3.2: a domain name in presentation format) as a lower-case name without
    /// the trailing dot, or null when it is malformed (not letters, digits, hyphens and dots; an empty or over-long
    /// label; longer than 253) or names the root or a special-use domain (RFC 8598 §5, RFC 6761: local, localhost,
    /// invalid, onion) that a gateway must not claim.
    /// </summary>
    internal static string? DnsDomain(ReadOnlySpan<byte> value)
    {
        if (value.Length is 0 or > 254) return null;
        foreach (var b in value)
            if (!(b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or >= (byte)'0' and <= (byte)'9' or (byte)'-' or (byte)'.' or (byte)'_'))
                return null;
        var name = Encoding.ASCII.GetString(value).TrimEnd('.').ToLowerInvariant();
        if (name.Length is 0 or > 253) return null;
        var labels = name.Split('.');
        if (labels.Any(l => l.Length is 0 or > 63 || l.StartsWith('-') || l.EndsWith('-'))) return null;
        return labels[^1] is "local" or "localhost" or "invalid" or "onion" ? null : name;
    }

    private static bool TryNetwork(IPAddress address, int prefix, out IPNetwork network)
    {
        int max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        prefix = Math.Clamp(prefix, 0, max);
        var bytes = address.GetAddressBytes();
        for (int bit = prefix; bit < max; bit++) bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        network = new IPNetwork(new IPAddress(bytes), prefix);
        return true;
    }

    // ---------------- responder ----------------

    public override TaskResult ProcessRequest(IkeMessage request)
    {
        if (Sa.Failure != null) return TaskResult.Done;
        var cp = request.Get<ConfigPayload>();
        if (cp == null || cp.ConfigType != ConfigType.Request) return TaskResult.Done;
        var r = Sa.Options.Responder;
        var reply = new List<ConfigAttribute>();
        var requested = cp.Attributes.Select(a => a.Type).ToHashSet();
        // One address per requested family that has a pool; a family without a pool is left out of the reply (the
        // initiator then has no address of that family, which is its business), as strongSwan does.
        foreach (var (family, type) in new[] { (AddressFamily.InterNetwork, ConfigAttributeType.InternalIp4Address), (AddressFamily.InterNetworkV6, ConfigAttributeType.InternalIp6Address) })
        {
            if (!requested.Contains(type) || r.PoolFor(family) is not { } pool || !pool.TryAcquire(out var address)) continue;
            bool v4 = family == AddressFamily.InterNetwork;
            Sa.AssignedAddresses.Add(new IPNetwork(address, v4 ? 32 : 128));
            reply.Add(ConfigAttribute.Address(type, address, v4 ? null : 128));
        }
        foreach (var dns in r.DnsServers)
        {
            bool v4 = dns.AddressFamily == AddressFamily.InterNetwork;
            if (requested.Contains(v4 ? ConfigAttributeType.InternalIp4Dns : ConfigAttributeType.InternalIp6Dns))
                reply.Add(ConfigAttribute.Address(v4 ? ConfigAttributeType.InternalIp4Dns : ConfigAttributeType.InternalIp6Dns, dns));
        }
        foreach (var subnet in r.Subnets)
        {
            bool v4 = subnet.BaseAddress.AddressFamily == AddressFamily.InterNetwork;
            if (v4)
            {
                var mask = uint.MaxValue << (32 - subnet.PrefixLength);
                if (subnet.PrefixLength == 0) mask = 0;
                var value = new byte[8];
                subnet.BaseAddress.GetAddressBytes().CopyTo(value, 0);
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(value.AsSpan(4), mask);
                reply.Add(new ConfigAttribute(ConfigAttributeType.InternalIp4Subnet, value));
            }
            else reply.Add(ConfigAttribute.Address(ConfigAttributeType.InternalIp6Subnet, subnet.BaseAddress, subnet.PrefixLength));
        }
        _reply = new ConfigPayload(ConfigType.Reply, reply);
        return TaskResult.Done;
    }

    public override void BuildResponse(IkeMessage response)
    {
        if (Sa.Failure == null && _reply != null) response.Payloads.Add(_reply);
    }
}
