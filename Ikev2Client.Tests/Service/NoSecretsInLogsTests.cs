using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Platform;
using Ikev2Client.Platform.InMemory;
using Ikev2Client.Platform.Userspace;
using Ikev2Client.Profiles;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Eap;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Service;
using Ikev2Client.Tests.Auth;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Ikev2Client.Tests.Service;

/// <summary>
/// No secret reaches a log: profiles with a known PSK, EAP password and private key are provisioned, connected through
/// the service and the real connection engine (in-memory TUN, no root) to an in-process gateway and disconnected, with
/// every category at trace level through Microsoft.Extensions.Logging's pipeline; and the error paths: a gateway with
/// another PSK, and one that knows another EAP password. Every message, every structured value and every exception text
/// is captured; none may hold a secret, in clear, hex or base64.
/// </summary>
public sealed class NoSecretsInLogsTests : IDisposable
{
    private const string Psk = "Known-PSK-7f3a9c1e-do-not-log";
    private const string EapUser = "alice";
    private const string EapPassword = "Known-EAP-pa55word-b81d";
    private readonly string _dir = ServiceTestData.NewTempDir();
    private readonly Capture _capture = new();
    private readonly ILoggerFactory _loggers;

    public NoSecretsInLogsTests()
    {
        _loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(_capture));
    }

    [Fact]
    public async Task Psk_eap_password_and_private_key_never_reach_the_log_at_trace_level()
    {
        using var clientKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var clientCert = X509CertificateLoader.LoadCertificate(TestPki.CreateLeaf(IkeAuthSessionSetup.Ca, new TestPki.LeafOptions
        {
            Subject = "CN=client@example.org, O=Test", Dns = [], Ekus = ["1.3.6.1.5.5.7.3.17"],
        }, clientKey).RawData);
        var pkcs8 = clientKey.ExportPkcs8PrivateKey();
        var keyPem = new string(PemEncoding.Write("PRIVATE KEY", pkcs8));

        var profiles = new[]
        {
            (Base("psk").SetAuthPsk(Encoding.UTF8.GetBytes(Psk)).Build(), Gateway.Psk, VpnState.Connected),
            (Base("eap").SetAuthUsernamePassword(EapUser, EapPassword, IkeAuthSessionSetup.Ca).Build(), Gateway.Eap, VpnState.Connected),
            (Base("cert").SetAuthDigitalSignature(clientCert, keyPem, IkeAuthSessionSetup.Ca).Build(), Gateway.Certificate, VpnState.Connected),
            (Base("wrong-psk").SetAuthPsk(Encoding.UTF8.GetBytes(Psk)).Build(), Gateway.OtherPsk, VpnState.Failed),
            (Base("wrong-eap").SetAuthUsernamePassword(EapUser, EapPassword, IkeAuthSessionSetup.Ca).Build(), Gateway.OtherEapPassword, VpnState.Failed),
        };
        var settings = Microsoft.Extensions.Options.Options.Create(new ProfileConnectionSettings());
        var platform = new ConnectionPlatform(new UserspaceIpSecManager(), new VpnInterfaceBuilderFactory(() => new InMemoryVpnInterfaceBuilder()));
        await using var manager = new VpnManagerService(new VpnManagerOptions
        {
            Store = new ProfileStore(_dir), ConnectionFactory = new VpnConnectionAdapterFactory(platform, settings, _loggers), LoggerFactory = _loggers,
        });

        foreach (var (template, kind, expected) in profiles)
        {
            using var gateway = new Gateway(kind);
            var profile = template.ToBuilder().SetServer(gateway.Address.ToString(), gateway.IkePort).Build();
            await manager.ProvisionVpnProfileAsync(profile);
            var state = await manager.StartProvisionedVpnProfileAsync(profile.Name, waitForResult: true);
            state.State.Should().Be(expected, $"{profile.Name}: {state.Error}\n{_capture.Text}");
            if (expected == VpnState.Failed)
                state.Error!.CodeName.Should().Be("ERROR_CODE_IKE_AUTHENTICATION_FAILED", $"{profile.Name}: {state.Error}");
            await manager.StopProvisionedVpnProfileAsync(profile.Name);
        }

        var log = _capture.Text;
        log.Should().Contain("IKE SA established").And.Contain("sent IkeAuth request", "IKE message traces are logged at debug level")
            .And.Contain("CHILD SA established").And.Contain("deleting the IKE SA")
            .And.Contain("wrong-psk: ERROR_CODE_IKE_AUTHENTICATION_FAILED").And.Contain("wrong-eap: ERROR_CODE_IKE_AUTHENTICATION_FAILED", "failures are logged too");
        foreach (var (name, form) in SecretForms(pkcs8, keyPem))
            log.Should().NotContain(form, $"the {name} must not reach the log");
    }

    /// <summary>Every secret in clear text, hex (both cases) and base64, and the private key's PEM lines.</summary>
    private static IEnumerable<(string Name, string Form)> SecretForms(byte[] pkcs8, string keyPem)
    {
        foreach (var (name, bytes) in new[] { ("PSK", Encoding.UTF8.GetBytes(Psk)), ("EAP password", Encoding.UTF8.GetBytes(EapPassword)), ("private key", pkcs8) })
        {
            if (name != "private key") yield return (name, Encoding.UTF8.GetString(bytes));
            yield return (name + " (hex)", Convert.ToHexString(bytes));
            yield return (name + " (hex)", Convert.ToHexString(bytes).ToLowerInvariant());
            yield return (name + " (base64)", Convert.ToBase64String(bytes));
        }
        foreach (var line in keyPem.Split('\n').Where(l => l.Length >= 32 && !l.StartsWith("-----", StringComparison.Ordinal)))
            yield return ("private key (PEM)", line.Trim());
        // A 16-byte window of the key's DER anywhere in hex: a partial dump counts too.
        yield return ("private key (hex, partial)", Convert.ToHexString(pkcs8.AsSpan(pkcs8.Length - 16)).ToLowerInvariant());
    }

    private static Ikev2VpnProfile.Builder Base(string name) =>
        new Ikev2VpnProfile.Builder("127.0.0.1", null).SetName(name).SetRemoteIdentity(IkeAuthSessionSetup.GatewayName);

    public void Dispose()
    {
        _loggers.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    /// <summary>
    /// An in-process gateway on a loopback address of its own: IKE on a free port, NAT-T on 4500 (the port profiles
    /// use), an IPv4 address pool; PSK, certificate + EAP-MSCHAPv2, or certificates both ways.
    /// </summary>
    private sealed class Gateway : IDisposable
    {
        public const int Psk = 0, Eap = 1, Certificate = 2, OtherPsk = 3, OtherEapPassword = 4;
        private readonly IkeSession _session;
        private readonly IkeUdpDriver _driver;

        public Gateway(int kind)
        {
            Address = IPAddress.Parse($"127.{Random.Shared.Next(1, 250)}.{Random.Shared.Next(1, 250)}.{Random.Shared.Next(2, 250)}");
            var credential = IkeAuthSessionSetup.GatewayCredential();
            var validation = new CertificateValidationOptions { TrustedCertificateAuthorities = [IkeAuthSessionSetup.Ca] };
            (IIkeAuthenticator local, IIkeAuthenticator? peer) = kind switch
            {
                Psk => ((IIkeAuthenticator)new PskAuthenticator(NoSecretsInLogsTests.Psk), (IIkeAuthenticator?)null),
                OtherPsk => (new PskAuthenticator("the-gateway-has-another-PSK"), null),
                Eap or OtherEapPassword => (CertificateAuthenticator.Signer(credential), new EapServerAuthenticator(new EapServerOptions
                {
                    Method = EapMethodType.MsChapV2, PasswordLookup = u => u == EapUser ? (kind == Eap ? EapPassword : "another-password") : null,
                })),
                _ => ((IIkeAuthenticator)new CertificateAuthenticator(credential, validation), (IIkeAuthenticator?)new CertificateAuthenticator(credential, validation)),
            };
            _session = new IkeSession(new IkeSessionOptions
            {
                Role = IkeRole.Responder,
                LocalIdentity = IkeIdentity.Fqdn(IkeAuthSessionSetup.GatewayName),
                Authenticator = local,
                PeerAuthenticator = peer,
                Responder = new IkeResponderOptions { AddressPool = new IkeAddressPool(IPNetwork.Parse("10.10.0.0/24")) },
            });
            _driver = new IkeUdpDriver(_session, new IkeUdpDriverOptions
            {
                LocalIkeEndPoint = new IPEndPoint(Address, 0),
                LocalNatTEndPoint = new IPEndPoint(Address, 4500),
                NatKeepaliveInterval = null,
            });
            _driver.Start();
        }

        public IPAddress Address { get; }
        public int IkePort => _driver.IkeLocalEndPoint.Port;

        public void Dispose()
        {
            _driver.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5));
            _session.Dispose();
        }
    }

    /// <summary>Captures everything a formatter could print: the message, each structured value, the exception.</summary>
    private sealed class Capture : ILoggerProvider
    {
        private readonly StringBuilder _text = new();

        public string Text { get { lock (_text) return _text.ToString(); } }

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose() { }

        private sealed class Logger(Capture owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var line = new StringBuilder($"{logLevel} {category}[{eventId.Id}] {formatter(state, exception)}");
                if (state is IReadOnlyList<KeyValuePair<string, object?>> values)
                    foreach (var (key, value) in values) line.Append($" | {key}={value}");
                if (exception != null) line.Append(" | ").Append(exception);
                lock (owner._text) owner._text.AppendLine(line.ToString());
            }
        }
    }
}
