using System.Text;
using FluentAssertions;
using Ikev2Client.Inspect;
using Ikev2Client.Tests.Inspect;
using Ikev2Client.Tests.Wire;
using Xunit;
using Xunit.Abstractions;

namespace Ikev2Client.Tests.Fuzz;

/// <summary>
/// Mutation tests of <c>ikev2 inspect</c>'s inputs, seeded from the strongSwan captures and key files in
/// Fixtures/strongswan (as pcap, and rewritten as pcapng in both byte orders): the capture reader and the
/// inspector never throw (a damaged capture is a <see cref="InspectReport.CaptureError"/>), the key table only
/// throws <see cref="KeyFileException"/>, and the text output never carries a control character from the input.
/// </summary>
[Trait("Category", "Fuzz")]
public sealed class CaptureFuzzTests(ITestOutputHelper output)
{
    private static readonly string[] Scenarios = ["psk-gcm", "psk-cbc", "cert-fragmented"];

    private static string Fixture(string scenario, string file) => Path.Combine(CapturedMessages.Root, scenario, file);

    [Fact]
    public void Capture_reader_and_inspector()
    {
        var seeds = new List<(string, byte[])>();
        var keys = new List<IkeSaSecrets>();
        foreach (var s in Scenarios)
        {
            var pcap = File.ReadAllBytes(Fixture(s, "capture.pcap"));
            seeds.Add(($"{s}.pcap", pcap));
            keys.AddRange(KeyTable.Parse(File.ReadAllText(Fixture(s, "keys.json"))));
            var frames = CaptureReader.Read(pcap).Frames;
            seeds.Add(($"{s} big-endian.pcapng", CaptureWriter.PcapngBigEndian(frames[0].LinkType, frames.Select(f => f.Data))));
            var le = new PcapngBuilder().Shb().Idb(frames[0].LinkType, 9);
            ulong ts = 1_700_000_000UL * 1_000_000_000UL;
            foreach (var f in frames) le.Epb(0, (uint)(ts >> 32), (uint)ts, f.Data);
            seeds.Add(($"{s} little-endian.pcapng", le.ToArray()));
            var micro = new PcapngBuilder().Shb().Idb(frames[0].LinkType); // no if_tsresol: microseconds
            foreach (var f in frames) micro.Epb(0, (uint)((ulong)f.Timestamp.ToUnixTimeMilliseconds() * 1000 >> 32), (uint)((ulong)f.Timestamp.ToUnixTimeMilliseconds() * 1000), f.Data);
            seeds.Add(($"{s} microseconds.pcapng", micro.ToArray()));
        }
        var dir = Directory.CreateTempSubdirectory("ikev2-fuzz-capture").FullName;
        var keyFile = Fixture("psk-gcm", "keys.json");
        var stats = Fuzzer.Run("capture reader and inspector", seeds, 8000, 1301, Mutations.Binary, (input, i) =>
        {
            if (i % 16 == 0)
            {
                // Through 'ikev2 inspect' (streamed text or JSON): exit 0 or 1, and a problem is one line on stderr.
                var path = Path.Combine(dir, "fuzz.pcap");
                File.WriteAllBytes(path, input);
                var stdout = new StringWriter();
                var stderr = new StringWriter();
                int code = Ikev2Client.Cli.InspectCommand.Run(new FileInfo(path), new FileInfo(keyFile), json: i % 32 == 0, stdout, stderr);
                code.Should().BeOneOf(0, 1);
                if (i % 32 == 0) System.Text.Json.JsonDocument.Parse(stdout.ToString()).Dispose();
                return code == 0 ? FuzzOutcome.Ok : FuzzOutcome.Refused(stderr.ToString().TrimEnd('\n'));
            }
            // Half with the keys, so decryption and fragment reassembly run on damaged messages too.
            var report = new IkeInspector(i % 2 == 0 ? keys : null).Inspect("fuzz", input);
            var text = InspectRenderer.ToText(report);
            text.Where(c => char.IsControl(c) && c != '\n' && c != '\r').Should().BeEmpty("capture text is made safe for a terminal");
            InspectRenderer.ToJson(report).Should().StartWith("{");
            return report.CaptureError is null ? FuzzOutcome.Ok : FuzzOutcome.Refused(report.CaptureError);
        });
        Directory.Delete(dir, recursive: true);
        output.WriteLine(stats.ToString());
        stats.Refused.Should().BeGreaterThan(stats.Inputs / 10);
        stats.Accepted.Should().BeGreaterThan(stats.Inputs / 10, "many mutations keep the capture readable and reach the IKE decoder");
    }

    [Fact]
    public void Key_tables()
    {
        var seeds = new List<(string, byte[])>();
        var lines = new List<string>();
        foreach (var s in Scenarios)
        {
            var json = File.ReadAllText(Fixture(s, "keys.json"));
            seeds.Add(($"{s}/keys.json", Encoding.UTF8.GetBytes(json)));
            var k = System.Text.Json.JsonDocument.Parse(json).RootElement;
            string F(string n) => k.GetProperty(n).GetString()!;
            lines.Add($"{F("spiI")},{F("spiR")},{F("skEi")},{F("skEr")},\"AES-CBC-128 [RFC3602]\",{F("skAi")},{F("skAr")},\"HMAC_SHA2_256_128 [RFC4868]\"");
        }
        seeds.Add(("ikev2_decryption_table", Encoding.UTF8.GetBytes("# Wireshark\n" + string.Join("\n", lines) + "\n")));
        seeds.Add(("list", Encoding.UTF8.GetBytes("[" + string.Join(",", Scenarios.Select(s => File.ReadAllText(Fixture(s, "keys.json")))) + "]")));
        var capture = File.ReadAllBytes(Fixture("psk-gcm", "capture.pcap"));
        var stats = Fuzzer.Run("key tables", seeds, 8000, 1302, (s, r) => r.Next(2) == 0 ? Mutations.Json(s, r) : Mutations.Bytes(s, r), (input, i) =>
        {
            List<IkeSaSecrets> parsed;
            try { parsed = KeyTable.Parse(Encoding.UTF8.GetString(input)); }
            catch (KeyFileException e) { return FuzzOutcome.Refused(e.Message); }
            // Keys of any length against a real capture: a wrong key is an integrity failure, never an exception.
            if (i % 4 == 0) InspectRenderer.ToText(new IkeInspector(parsed).Inspect("fuzz", capture)).Should().NotBeEmpty();
            return FuzzOutcome.Ok;
        });
        output.WriteLine(stats.ToString());
        stats.Refused.Should().BeGreaterThan(stats.Inputs / 10);
    }
}
