using System.CommandLine;
using System.Text;
using FluentAssertions;
using Ikev2Client.Cli;
using Ikev2Client.Profiles;
using Ikev2Client.Tests.Profiles;
using Xunit;
using Xunit.Abstractions;

namespace Ikev2Client.Tests.Fuzz;

/// <summary>
/// Mutation tests of every importer, seeded from the real fixture files: each input is either imported or refused
/// with a <see cref="ProfileImportException"/> (one safe line), within a second and a bounded allocation. Every
/// 16th input goes through <c>ikev2 profile import</c> against a real store, which must be unchanged whenever the
/// import fails (exit 2, one line on stderr). Input counts and times are in docs/architecture.md ("Fuzzing").
/// </summary>
[Trait("Category", "Fuzz")]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ProfileImportFuzzTests : IDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly string _dir = ProfileTestData.NewTempDir();
    private readonly string _store;
    private readonly byte[] _p12 = ProfileTestData.Bytes("user.p12");

    public ProfileImportFuzzTests(ITestOutputHelper output)
    {
        _output = output;
        _store = Path.Combine(_dir, "store");
        // A profile already in the store, so "unchanged" means something.
        new ProfileStore(_store).Save(ProfileImporter.Import(ProfileTestData.Path("office-eap.sswan")).Profile);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static List<(string, byte[])> Seeds(params string[] files) => files.Select(f => (f, ProfileTestData.Bytes(f))).ToList();

    private FuzzOutcome Import(byte[] input, int i, string fileName)
    {
        // Every third input with the PKCS#12 password, so damaged bundles are opened, not only parsed.
        var options = i % 3 == 0 ? new ImportOptions { Pkcs12Password = "test", Pkcs12 = fileName.EndsWith(".xml", StringComparison.Ordinal) ? _p12 : null } : null;
        if (i % 16 == 0) return ThroughCli(input, fileName, options);
        try
        {
            var result = ProfileImporter.Import(input, fileName, options);
            NativeProfileJson.Serialize(result.Profile, includeSecrets: true).Should().NotBeNullOrEmpty();
            return FuzzOutcome.Ok;
        }
        catch (ProfileImportException e)
        {
            e.Message.Should().NotContain("cannot be imported (", "the importer's defensive catch of library exceptions must never be what answers");
            return FuzzOutcome.Refused(e.Message);
        }
    }

    private FuzzOutcome ThroughCli(byte[] input, string fileName, ImportOptions? options)
    {
        var path = Path.Combine(_dir, fileName);
        File.WriteAllBytes(path, input);
        var args = new List<string> { "profile", "import", path, "--name", "fuzzed", "--force" };
        if (options?.Pkcs12 is not null)
        {
            File.WriteAllBytes(Path.Combine(_dir, "user.p12"), options.Pkcs12);
            args.AddRange(["--pkcs12", Path.Combine(_dir, "user.p12")]);
        }
        var before = StoreSnapshot.Of(_store);
        var root = new RootCommand("fuzz") { ProfileCommands.Create(() => new ProfileStore(_store)) };
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = root.Parse(args).Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        if (code == 0) return FuzzOutcome.Ok;
        code.Should().Be(2, $"a refused import is bad input: {stderr}");
        StoreSnapshot.Of(_store).Should().Be(before, "a failed import leaves the store unchanged");
        var line = stderr.ToString().TrimEnd('\n');
        line.Should().StartWith("error: ");
        return FuzzOutcome.Refused(line);
    }

    private void Report(FuzzStats stats)
    {
        _output.WriteLine(stats.ToString());
        stats.Refused.Should().BeGreaterThan(stats.Inputs / 10, "the mutations reach the error paths");
    }

    [Fact]
    public void Sswan()
    {
        var seeds = Seeds("minimal.sswan", "office-eap.sswan", "office-cert.sswan", "bad-base64.sswan", "missing-addr.sswan", "broken.sswan");
        Report(Fuzzer.Run(".sswan", seeds, 6000, 1201, Mutations.Json, (b, i) => Import(b, i, "fuzz.sswan")));
    }

    [Fact]
    public void Mobileconfig()
    {
        var seeds = Seeds("algo-cert.mobileconfig", "jawj-eap.mobileconfig", "jawj-eap-signed.mobileconfig", "encrypted.mobileconfig", "broken.mobileconfig");
        Report(Fuzzer.Run(".mobileconfig", seeds, 4000, 1202, (s, r) => s[0] == 0x30 ? Mutations.Binary(s, r) : Mutations.Xml(s, r),
            (b, i) => Import(b, i, "fuzz.mobileconfig")));
    }

    [Fact]
    public void Profile_xml()
    {
        var seeds = Seeds("windows-eap.xml", "windows-cert-syncml.xml", "windows-sstp.xml");
        Report(Fuzzer.Run("ProfileXML", seeds, 6000, 1203, Mutations.Xml, (b, i) => Import(b, i, "fuzz.xml")));
    }

    [Fact]
    public void Managed_configuration()
    {
        var seeds = Seeds("managed-policy.json");
        seeds.Add(("bare restrictions", Encoding.UTF8.GetBytes(
            """{"managed_profiles":[{"_uuid":"1f1c2d3e-0000-4000-8000-000000000001","name":"Branch","remote":{"gateway":"branch.example.com","port":-1},"local":{"username":"carol","password":"pw"},"mtu":"1300"}]}""")));
        Report(Fuzzer.Run("managed configuration", seeds, 2000, 1204, Mutations.Json, (b, i) => Import(b, i, "fuzz.json")));
    }

    [Fact]
    public void Native_json()
    {
        // The native files are what the importers make of the fixtures, with their secrets.
        var seeds = new List<(string, byte[])>();
        foreach (var (file, options) in new (string, ImportOptions?)[]
                 {
                     ("office-eap.sswan", null), ("office-cert.sswan", new ImportOptions { Pkcs12Password = "test" }), ("algo-cert.mobileconfig", null),
                     ("jawj-eap.mobileconfig", null), ("windows-eap.xml", null), ("managed-policy.json", null),
                 })
            seeds.Add((file, Encoding.UTF8.GetBytes(NativeProfileJson.Serialize(ProfileImporter.Import(ProfileTestData.Path(file), options).Profile, true))));
        Report(Fuzzer.Run("native JSON", seeds, 3000, 1205, Mutations.Json, (b, i) => Import(b, i, "fuzz.json")));
    }
}
