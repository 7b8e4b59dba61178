using System.CommandLine;
using System.Diagnostics;
using System.Net;
using Ikev2Client.Connection;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Esp;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Protocol.Wire;
using Spectre.Console;

namespace Ikev2Client.Cli;

/// <summary>
/// <c>ikev2 demo</c>: an initiator and a responder in one process over loopback UDP (real sockets, no root),
/// showing every message, the negotiated algorithms, SPIs, virtual IP and DNS, then a clean DELETE.
/// </summary>
internal static class DemoCommand
{
    /// <summary>The hybrid proposal of <c>--post-quantum</c>, as strongSwan 6 writes it.</summary>
    internal const string PostQuantumProposal = "aes256gcm16-prfsha384-x25519-ke1_mlkem768";

    public static Command Create()
    {
        var ike = new Option<string?>("--ike") { Description = "IKE proposal for the responder, strongSwan syntax (e.g. aes128-sha256-modp2048); default: our defaults" };
        var esp = new Option<string?>("--esp") { Description = "ESP proposal for the responder (e.g. aes256gcm16)" };
        var noForce = new Option<bool>("--no-force-encap") { Description = "Do not force UDP encapsulation (stays on the IKE port on loopback)" };
        var transport = new Option<bool>("--transport") { Description = "Request transport mode" };
        var postQuantum = new Option<bool>("--post-quantum")
        {
            Description = $"Both sides offer a hybrid post-quantum proposal first ({PostQuantumProposal}: X25519, then ML-KEM-768 in an IKE_INTERMEDIATE exchange, RFC 9370)",
        };
        var command = new Command("demo", "Run an IKEv2 initiator and responder in this process over loopback UDP and show what happens");
        command.Options.Add(ike);
        command.Options.Add(esp);
        command.Options.Add(noForce);
        command.Options.Add(transport);
        command.Options.Add(postQuantum);
        command.SetAction(parse => RunAsync(parse.GetValue(ike), parse.GetValue(esp), !parse.GetValue(noForce), parse.GetValue(transport),
            Terminal.Stdout(), parse.InvocationConfiguration.Error, parse.GetValue(postQuantum)).GetAwaiter().GetResult());
        return command;
    }

    /// <summary>
    /// Runs the demo, writing to <paramref name="console"/>. A proposal that does not parse is a usage error: one line
    /// on <paramref name="error"/> naming the option and the bad token, exit 2.
    /// </summary>
    internal static async Task<int> RunAsync(string? ikeProposal, string? espProposal, bool forceEncapsulation, bool transport,
        IAnsiConsole console, TextWriter error, bool postQuantum = false)
    {
        if (!TryProposal("--ike", ikeProposal, esp: false, error, out var ikeSpec) || !TryProposal("--esp", espProposal, esp: true, error, out var espSpec))
            return 2;
        IReadOnlyList<ProposalSpec> initiatorIke = ProposalSpec.DefaultIke;
        if (postQuantum)
        {
            initiatorIke = [ProposalSpec.Parse(PostQuantumProposal), .. ProposalSpec.DefaultIke];
            ikeSpec ??= [.. initiatorIke];
        }
        var psk = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
        var gatewayId = IkeIdentity.Parse("@gateway.demo");
        var clientId = IkeIdentity.Parse("client@demo");
        var stopwatch = Stopwatch.StartNew();
        var consoleLock = new object();

        var responderOptions = new IkeSessionOptions
        {
            Role = IkeRole.Responder,
            LocalIdentity = gatewayId,
            RemoteIdentity = clientId,
            Authenticator = new PskAuthenticator(psk),
            IkeProposals = ikeSpec ?? ProposalSpec.DefaultIke,
            EspProposals = espSpec ?? ProposalSpec.DefaultEsp,
            Responder = new IkeResponderOptions
            {
                AddressPool = new IkeAddressPool(IPNetwork.Parse("10.99.0.0/24")),
                DnsServers = new[] { IPAddress.Parse("10.99.0.53"), IPAddress.Parse("fd99::53") },
                Subnets = new[] { IPNetwork.Parse("10.99.1.0/24") },
            },
        };
        using var responderSession = new IkeSession(responderOptions);
        await using var responder = new IkeUdpDriver(responderSession, new IkeUdpDriverOptions
        {
            LocalIkeEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            LocalNatTEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
        });

        var initiatorOptions = new IkeSessionOptions
        {
            LocalIdentity = clientId,
            RemoteIdentity = gatewayId,
            Authenticator = new PskAuthenticator(psk),
            RemoteNatTPort = responder.NatTLocalEndPoint.Port,
            IkeProposals = initiatorIke,
            ForceEncapsulation = forceEncapsulation,
            Mode = transport ? EspMode.Transport : EspMode.Tunnel,
        };
        using var initiatorSession = new IkeSession(initiatorOptions);
        await using var initiator = new IkeUdpDriver(initiatorSession, new IkeUdpDriverOptions
        {
            LocalIkeEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            LocalNatTEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
        });

        console.MarkupLine("[bold]IKEv2 demo[/]: initiator and responder in one process over loopback UDP");
        console.MarkupLine($"  responder [blue]{gatewayId}[/] IKE {responder.IkeLocalEndPoint}, NAT-T {responder.NatTLocalEndPoint}");
        console.MarkupLine($"  initiator [green]{clientId}[/] IKE {initiator.IkeLocalEndPoint}, NAT-T {initiator.NatTLocalEndPoint}");
        console.MarkupLine($"  pre-shared key: 24 random bytes (not shown); forced UDP encapsulation: {(forceEncapsulation ? "on" : "off")}");
        console.WriteLine();

        void Show(string who, IkeEvent e)
        {
            lock (consoleLock)
            {
                var at = $"{stopwatch.Elapsed.TotalMilliseconds,8:0.0} ms";
                switch (e)
                {
                    case IkeEvent.MessageTraced t when t.Sent:
                        var arrow = who == "initiator" ? "[green]initiator[/] ──▶ [blue]responder[/]" : "[green]initiator[/] ◀── [blue]responder[/]";
                        var frags = t.Fragments > 1 ? $" in {t.Fragments} fragments" : "";
                        var retrans = t.Retransmission ? " [yellow](retransmission)[/]" : "";
                        console.MarkupLine($"{at}  {arrow}  [bold]{t.Exchange}[/] {(t.IsResponse ? "response" : "request")} #{t.MessageId}" +
                            $"  {Markup.Escape(t.Payloads.Length > 0 ? "[" + t.Payloads + "]" : "")}  {t.Bytes} bytes{frags}{(t.NonEspMarker ? " via NAT-T" : "")}{retrans}");
                        break;
                    case IkeEvent.IkeSaEstablished s:
                        console.MarkupLine($"{at}  {who}: IKE SA established with {Markup.Escape(s.Sa.RemoteIdentity.ToString())}");
                        break;
                    case IkeEvent.Failed f:
                        console.MarkupLine($"{at}  [red]{who} failed: {Markup.Escape(f.Error.ToString())}[/]");
                        break;
                    case IkeEvent.Deleted d:
                        console.MarkupLine($"{at}  {who}: IKE SA deleted ({Markup.Escape(d.Reason)})");
                        break;
                    case IkeEvent.ChildSaDeleted c:
                        console.MarkupLine($"{at}  {who}: CHILD SA 0x{c.ChildSa.InboundSpi:x8} deleted");
                        break;
                }
            }
        }

        initiator.EventRaised += e => Show("initiator", e);
        responder.EventRaised += e => Show("responder", e);
        responder.Start();

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var childTask = initiator.WaitForAsync<IkeEvent.ChildSaEstablished>(cancellationToken: timeout.Token);
        var configTask = initiator.WaitForAsync<IkeEvent.ConfigReceived>(cancellationToken: timeout.Token);
        var started = stopwatch.Elapsed;
        initiator.Connect(new IPEndPoint(IPAddress.Loopback, responder.IkeLocalEndPoint.Port));
        ChildSaInfo child;
        IkeConfiguration? config;
        try
        {
            child = (await childTask).ChildSa;
            // The CP payload arrives in the same IKE_AUTH response as the CHILD SA, and the session has stored it before
            // it raised ChildSaEstablished; the ConfigReceived waiter may not have run yet, so don't race it.
            config = initiatorSession.Configuration;
            if (config is null && await Task.WhenAny(configTask, Task.Delay(TimeSpan.FromSeconds(2), timeout.Token)) == configTask)
                config = (await configTask).Configuration;
        }
        catch (Exception e) when (e is IkeSessionEndedException or OperationCanceledException)
        {
            var reason = e is IkeSessionEndedException ended ? ended.Message : "timed out after 20 s";
            console.MarkupLine($"[red]The tunnel was not established: {Markup.Escape(reason)}[/]");
            return 1;
        }
        var elapsed = stopwatch.Elapsed - started;

        lock (consoleLock)
        {
            console.WriteLine();
            var table = new Table().AddColumn("").AddColumn("").HideHeaders().Border(TableBorder.Rounded);
            var a = initiatorSession.Algorithms!;
            table.AddRow("IKE SA", $"SPIi {initiatorSession.SpiI:x16}  SPIr {initiatorSession.SpiR:x16}");
            table.AddRow("IKE algorithms", Markup.Escape(a.ToString()));
            table.AddRow("CHILD SA (ESP)", $"in 0x{child.InboundSpi:x8}  out 0x{child.OutboundSpi:x8}  {child.Mode} mode");
            table.AddRow("ESP algorithms", Markup.Escape(child.Algorithms.ToString()));
            table.AddRow("Encapsulation", child.UdpEncapsulation ? $"UDP (RFC 3948) to {child.RemoteEndPoint}" : "none (plain ESP)");
            table.AddRow("Traffic selectors", Markup.Escape($"{string.Join(", ", child.LocalTrafficSelectors)} === {string.Join(", ", child.RemoteTrafficSelectors)}"));
            table.AddRow("Virtual IP", Markup.Escape(config == null ? "(none)" : string.Join(", ", config.VirtualAddresses)));
            table.AddRow("DNS", Markup.Escape(config == null ? "(none)" : string.Join(", ", config.DnsServers)));
            table.AddRow("Subnets", Markup.Escape(config == null ? "(none)" : string.Join(", ", config.Subnets)));
            table.AddRow("Time to CHILD SA", $"{elapsed.TotalMilliseconds:0.0} ms");
            console.Write(table);
            console.WriteLine();
            console.MarkupLine("Deleting the IKE SA...");
        }

        initiator.Close();
        var end = await Task.WhenAny(Task.WhenAll(initiator.Completion, responder.Completion), Task.Delay(TimeSpan.FromSeconds(20)));
        bool clean = initiator.Completion.IsCompleted && initiator.Completion.Result is IkeEvent.Deleted
            && responder.Completion.IsCompleted && responder.Completion.Result is IkeEvent.Deleted { ByPeer: true };
        console.MarkupLine(clean ? "[green]Done: both sides deleted the IKE SA and its CHILD SA.[/]" : "[red]The DELETE did not complete cleanly.[/]");
        return clean ? 0 : 1;
    }

    private static bool TryProposal(string option, string? text, bool esp, TextWriter error, out ProposalSpec[]? spec)
    {
        spec = null;
        if (text is null) return true;
        if (!Protocol.Crypto.ProposalSyntax.TryParse(text, esp, out var parsed, out var problem))
        {
            error.WriteLine($"ikev2 demo: {option}: {Profiles.SafeText.Line(problem, 256)}");
            return false;
        }
        spec = [.. parsed];
        return true;
    }
}
