using System.Net;
using Ikev2Client.Protocol;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Esp;
using Ikev2Client.Protocol.Ike;
using Microsoft.Extensions.Time.Testing;

namespace Ikev2Client.Tests.Ike;

/// <summary>
/// A timer the session armed, at the absolute time on the test's clock it is due (the session's
/// <see cref="TimerCommand.Delay"/> taken from the moment it was armed), or a cancellation (null).
/// </summary>
internal readonly record struct ArmedTimer(IkeTimer Timer, DateTimeOffset? DueAt);

/// <summary>
/// An initiator and a responder connected in memory. Datagrams queue up and are delivered one at a time, so a
/// test can step, drop, duplicate or corrupt individual messages (strongSwan's exchange_test_helper style).
/// </summary>
internal sealed class IkeTestPair : IDisposable
{
    public static readonly IPAddress InitiatorAddress = IPAddress.Parse("10.0.0.2");
    public static readonly IPAddress ResponderAddress = IPAddress.Parse("10.0.0.1");
    public static readonly IPEndPoint InitiatorIke = new(InitiatorAddress, 40000);
    public static readonly IPEndPoint InitiatorNatT = new(InitiatorAddress, 40001);
    public static readonly IPEndPoint ResponderIke = new(ResponderAddress, 500);
    public static readonly IPEndPoint ResponderNatT = new(ResponderAddress, 4500);

    /// <summary>The clock both sessions run on; the test moves it by hand (<c>Advance</c>, <c>SetUtcNow</c>).</summary>
    public FakeTimeProvider Clock { get; } = new();
    public IkeSession Initiator { get; }
    public IkeSession Responder { get; }
    public List<IkeEvent> InitiatorEvents { get; } = new();
    public List<IkeEvent> ResponderEvents { get; } = new();
    public List<ArmedTimer> InitiatorTimers { get; } = new();
    public List<ArmedTimer> ResponderTimers { get; } = new();
    public Queue<OutgoingDatagram> ToResponder { get; } = new();
    public Queue<OutgoingDatagram> ToInitiator { get; } = new();

    public IkeTestPair(IkeSessionOptions initiator, IkeSessionOptions responder)
    {
        Initiator = new IkeSession(initiator, time: Clock);
        Responder = new IkeSession(responder, time: Clock);
    }

    public static IkeSessionOptions InitiatorOptions(string psk = "correct horse battery staple", Action<IkeSessionOptionsBuilder>? configure = null)
    {
        var b = new IkeSessionOptionsBuilder { Role = IkeRole.Initiator, Psk = psk, Local = IkeIdentity.Parse("client@example.org"), Remote = IkeIdentity.Parse("@gw.example.org") };
        configure?.Invoke(b);
        return b.Build();
    }

    public static IkeSessionOptions ResponderOptions(string psk = "correct horse battery staple", Action<IkeSessionOptionsBuilder>? configure = null)
    {
        var b = new IkeSessionOptionsBuilder { Role = IkeRole.Responder, Psk = psk, Local = IkeIdentity.Parse("@gw.example.org"), Remote = null };
        configure?.Invoke(b);
        return b.Build();
    }

    public void Connect() => Absorb(Initiator.Connect(InitiatorIke, ResponderIke), fromInitiator: true);

    /// <summary>Delivers the next datagram for the responder; false when none is queued.</summary>
    public bool StepToResponder()
    {
        if (!ToResponder.TryDequeue(out var d)) return false;
        DeliverToResponder(d);
        return true;
    }

    public bool StepToInitiator()
    {
        if (!ToInitiator.TryDequeue(out var d)) return false;
        DeliverToInitiator(d);
        return true;
    }

    public IkeOutput DeliverToResponder(OutgoingDatagram d)
    {
        var from = d.NonEspMarker ? InitiatorNatT : InitiatorIke;
        var local = d.NonEspMarker ? ResponderNatT : ResponderIke;
        var output = Responder.HandleDatagram(d.Data, from, local, d.NonEspMarker);
        Absorb(output, fromInitiator: false);
        return output;
    }

    public IkeOutput DeliverToInitiator(OutgoingDatagram d)
    {
        var from = d.NonEspMarker ? ResponderNatT : ResponderIke;
        var local = d.NonEspMarker ? InitiatorNatT : InitiatorIke;
        var output = Initiator.HandleDatagram(d.Data, from, local, d.NonEspMarker);
        Absorb(output, fromInitiator: true);
        return output;
    }

    /// <summary>Delivers queued datagrams in both directions until none is left.</summary>
    public void Run(int maxSteps = 100)
    {
        for (int i = 0; i < maxSteps && (ToResponder.Count > 0 || ToInitiator.Count > 0); i++)
            if (!StepToResponder()) StepToInitiator();
    }

    public void Absorb(IkeOutput output, bool fromInitiator)
    {
        foreach (var d in output.Datagrams) (fromInitiator ? ToResponder : ToInitiator).Enqueue(d);
        (fromInitiator ? InitiatorTimers : ResponderTimers).AddRange(
            output.Timers.Select(t => new ArmedTimer(t.Timer, t.Delay is { } delay ? Clock.GetUtcNow() + delay : null)));
        (fromInitiator ? InitiatorEvents : ResponderEvents).AddRange(output.Events);
    }

    public IEnumerable<IkeEvent.MessageTraced> InitiatorTrace => InitiatorEvents.OfType<IkeEvent.MessageTraced>();
    public IEnumerable<IkeEvent.MessageTraced> ResponderTrace => ResponderEvents.OfType<IkeEvent.MessageTraced>();

    public void Dispose()
    {
        Initiator.Dispose();
        Responder.Dispose();
    }
}

/// <summary>Mutable knobs for building test options.</summary>
internal sealed class IkeSessionOptionsBuilder
{
    public IkeRole Role { get; set; }
    public string Psk { get; set; } = "";
    public IkeIdentity Local { get; set; } = IkeIdentity.Parse("@local");
    public IkeIdentity? Remote { get; set; }
    public bool SendRemoteIdentity { get; set; } = true;
    public IReadOnlyList<ProposalSpec>? Ike { get; set; }
    public IReadOnlyList<ProposalSpec>? Esp { get; set; }
    public bool RequireCookie { get; set; }
    public int MaxMessageSize { get; set; } = 1280;
    public TimeSpan? Liveness { get; set; }
    public EspMode Mode { get; set; } = EspMode.Tunnel;
    public IReadOnlyList<Protocol.Wire.Payloads.TrafficSelector>? LocalTs { get; set; }
    public bool Fragmentation { get; set; } = true;
    public IkeAddressPool? Pool { get; set; } = new(IPNetwork.Parse("10.10.0.0/24"));
    public IReadOnlyList<IkeAddressPool> MorePools { get; set; } = [];
    public IReadOnlyList<System.Net.Sockets.AddressFamily>? Families { get; set; }
    public IReadOnlyList<Protocol.Wire.Payloads.TrafficSelector>? RemoteTs { get; set; }
    public SaLifetime? ChildLifetime { get; set; }
    public SaLifetime? IkeLifetime { get; set; }
    public bool Mobike { get; set; } = true;
    public bool FollowRedirects { get; set; } = true;
    public IPAddress? RedirectedFrom { get; set; }
    public GatewayIdentity? RedirectTo { get; set; }
    public Protocol.Wire.ExchangeType RedirectIn { get; set; } = Protocol.Wire.ExchangeType.IkeSaInit;
    public TimeSpan? AuthLifetime { get; set; }
    public TimeSpan? ChildRecreateDelay { get; set; } = TimeSpan.FromSeconds(1);

    public IkeSessionOptions Build() => new()
    {
        Role = Role,
        LocalIdentity = Local,
        RemoteIdentity = Remote,
        SendRemoteIdentity = SendRemoteIdentity,
        Authenticator = new PskAuthenticator(Psk),
        IkeProposals = Ike ?? ProposalSpec.DefaultIke,
        EspProposals = Esp ?? ProposalSpec.DefaultEsp,
        MaxMessageSize = MaxMessageSize,
        LivenessInterval = Liveness,
        Mode = Mode,
        Fragmentation = Fragmentation,
        ChildLifetime = ChildLifetime,
        IkeLifetime = IkeLifetime,
        ChildRecreateDelay = ChildRecreateDelay,
        AdvertiseMobike = Mobike,
        FollowRedirects = FollowRedirects,
        RedirectedFrom = RedirectedFrom,
        LocalTrafficSelectors = LocalTs ?? (IReadOnlyList<Protocol.Wire.Payloads.TrafficSelector>)new[]
        {
            Protocol.Wire.Payloads.TrafficSelector.Any(System.Net.Sockets.AddressFamily.InterNetwork),
            Protocol.Wire.Payloads.TrafficSelector.Any(System.Net.Sockets.AddressFamily.InterNetworkV6),
        },
        RequestedAddressFamilies = Families ?? [System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.AddressFamily.InterNetworkV6],
        RemoteTrafficSelectors = RemoteTs ?? IkeSessionOptions.DefaultSelectors,
        Responder = new IkeResponderOptions
        {
            AddressPool = Pool,
            AddressPools = MorePools,
            DnsServers = new[] { IPAddress.Parse("10.10.0.53"), IPAddress.Parse("fd00::53") },
            Subnets = new[] { IPNetwork.Parse("192.168.50.0/24") },
            RequireCookie = RequireCookie,
            RedirectTo = RedirectTo,
            RedirectIn = RedirectIn,
            AuthLifetime = AuthLifetime,
        },
    };
}
