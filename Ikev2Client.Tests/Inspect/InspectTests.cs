using System.Net;
using System.Text.Json;
using FluentAssertions;
using Ikev2Client.Cli;
using Ikev2Client.Inspect;
using Ikev2Client.Tests.Wire;
using Xunit;

namespace Ikev2Client.Tests.Inspect;

public sealed class InspectTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ikev2-inspect").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Fixture(string scenario, string file) => Path.Combine(CapturedMessages.Root, scenario, file);

    private (int Code, string Out, string Err) Run(string capture, string? keys, bool json = false)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = InspectCommand.Run(new FileInfo(capture), keys == null ? null : new FileInfo(keys), json, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Strongswan_capture_decrypts_with_keys_and_shows_the_ike_auth_contents()
    {
        var (code, text, err) = Run(Fixture("psk-gcm", "capture.pcap"), Fixture("psk-gcm", "keys.json"));
        code.Should().Be(0, err);
        text.Should().Contain("IKE_SA_INIT initiator request #0");
        text.Should().Contain("Proposal #1: Ike: ENCR_AES_GCM_16 (256), PRF_HMAC_SHA2_256, CURVE_25519");
        text.Should().Contain("N: NAT_DETECTION_SOURCE_IP");
        text.Should().Contain("IDi: ID_FQDN client.test");
        text.Should().Contain("IDr: ID_FQDN gw.test");
        text.Should().Contain("AUTH: SharedKeyMessageIntegrityCode");
        text.Should().Contain("INTERNAL_IP4_ADDRESS: 10.3.0.1");
        text.Should().Contain("INTERNAL_IP4_DNS: 10.1.0.53");
        text.Should().Contain("TSr: 10.1.0.0-10.1.0.255");
        text.Should().Contain("DELETE: IKE SA");
        text.Should().MatchRegex(@"ESP SPI [0-9a-f]{8} seq 1 ");
        text.Should().NotContain("integrity check failed");
    }

    [Fact]
    public void Json_output_has_the_decrypted_payload_tree()
    {
        var (code, json, err) = Run(Fixture("psk-cbc", "capture.pcap"), Fixture("psk-cbc", "keys.json"), json: true);
        code.Should().Be(0, err);
        using var doc = JsonDocument.Parse(json);
        var packets = doc.RootElement.GetProperty("packets").EnumerateArray().ToList();
        var authResponse = packets.First(p => p.TryGetProperty("exchange", out var e) && e.GetString() == "IKE_AUTH" && p.GetProperty("role").GetString() == "responder response");
        authResponse.GetProperty("decryption").GetString().Should().Be("decrypted");
        var inner = authResponse.GetProperty("payloads")[0].GetProperty("children").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToList();
        inner.Should().Contain(new[] { "IDr", "AUTH", "CP", "SA", "TSi", "TSr" });
        var sa = authResponse.GetProperty("payloads")[0].GetProperty("children").EnumerateArray().First(c => c.GetProperty("name").GetString() == "SA");
        sa.GetProperty("children")[0].GetProperty("fields").GetProperty("transforms").EnumerateArray().Select(t => t.GetString())
            .Should().Contain(new[] { "ENCR_AES_CBC (128)", "AUTH_HMAC_SHA2_256_128" });
        packets.Any(p => p.GetProperty("kind").GetString() == "ESP" && p.TryGetProperty("espSequence", out var seq) && seq.GetUInt32() >= 1)
            .Should().BeTrue("ESP packets are listed with SPI and sequence number");
    }

    [Fact]
    public void Fragmented_ike_auth_is_reassembled()
    {
        var (code, text, err) = Run(Fixture("cert-fragmented", "capture.pcap"), Fixture("cert-fragmented", "keys.json"));
        code.Should().Be(0, err);
        text.Should().Contain("reassembled from 4 fragments and decrypted");
        text.Should().Contain("reassembled from 6 fragments and decrypted");
        text.Should().Contain("CERT: X.509");
        text.Should().Contain("AUTH: DigitalSignature");
    }

    [Fact]
    public void A_wrong_key_shows_as_an_integrity_failure_on_that_direction_only()
    {
        var keys = JsonDocument.Parse(File.ReadAllText(Fixture("psk-gcm", "keys.json"))).RootElement;
        var skEr = keys.GetProperty("skEr").GetString()!;
        var bad = (skEr[0] == '0' ? "1" : "0") + skEr[1..];
        var path = Path.Combine(_dir, "bad.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new
        {
            spiI = keys.GetProperty("spiI").GetString(), spiR = keys.GetProperty("spiR").GetString(),
            skEi = keys.GetProperty("skEi").GetString(), skEr = bad, skAi = "", skAr = "",
        }));
        var (code, text, _) = Run(Fixture("psk-gcm", "capture.pcap"), path);
        code.Should().Be(0);
        text.Should().Contain("IDi: ID_FQDN client.test", "initiator messages still decrypt");
        text.Should().Contain("integrity check failed");
        text.Should().NotContain("INTERNAL_IP4_ADDRESS: 10.3.0.1");
        text.Should().NotContain(bad, "key material is never printed");
    }

    [Fact]
    public void Wireshark_decryption_table_works()
    {
        var k = JsonDocument.Parse(File.ReadAllText(Fixture("psk-cbc", "keys.json"))).RootElement;
        string S(string n) => k.GetProperty(n).GetString()!;
        var table = Path.Combine(_dir, "ikev2_decryption_table");
        File.WriteAllText(table, $"{S("spiI")},{S("spiR")},{S("skEi")},{S("skEr")},\"AES-CBC-128 [RFC3602]\",{S("skAi")},{S("skAr")},\"HMAC_SHA2_256_128 [RFC4868]\"\n");
        var (code, text, err) = Run(Fixture("psk-cbc", "capture.pcap"), table);
        code.Should().Be(0, err);
        text.Should().Contain("IDi: ID_FQDN client.test");
        text.Should().Contain("INTERNAL_IP4_ADDRESS");
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(113, false)]
    [InlineData(276, true)]
    [InlineData(101, true)]
    [InlineData(1, true)]
    public void Every_link_type_in_pcap_and_pcapng_with_ipv4_and_ipv6(int linkType, bool ipv6)
    {
        var messages = Directory.GetFiles(Path.Combine(CapturedMessages.Root, "psk-gcm"), "msg-*.hex").OrderBy(f => f, StringComparer.Ordinal)
            .Select(f => Convert.FromHexString(string.Concat(File.ReadAllText(f).Where(Uri.IsHexDigit)))).ToList();
        var client = new IPEndPoint(IPAddress.Parse(ipv6 ? "2001:db8::2" : "192.0.2.2"), 500);
        var gw = new IPEndPoint(IPAddress.Parse(ipv6 ? "2001:db8::1" : "192.0.2.1"), 500);
        var frames = new List<byte[]>();
        for (int i = 0; i < messages.Count; i++)
        {
            bool fromClient = i % 2 == 0;
            bool natT = i >= 2;
            var payload = natT ? new byte[4].Concat(messages[i]).ToArray() : messages[i];
            var src = new IPEndPoint(fromClient ? client.Address : gw.Address, natT ? 4500 : 500);
            var dst = new IPEndPoint(fromClient ? gw.Address : client.Address, natT ? 4500 : 500);
            frames.Add(CaptureWriter.Frame(linkType, CaptureWriter.Udp(src, dst, payload)));
        }
        frames.Add(CaptureWriter.Frame(linkType, CaptureWriter.Udp(new IPEndPoint(client.Address, 4500), new IPEndPoint(gw.Address, 4500), new byte[] { 0xff })));
        frames.Add(CaptureWriter.Frame(linkType, CaptureWriter.Udp(new IPEndPoint(client.Address, 4500), new IPEndPoint(gw.Address, 4500),
            new byte[] { 0xc0, 0x01, 0x02, 0x03, 0, 0, 0, 42 }.Concat(new byte[40]).ToArray())));

        foreach (var (name, bytes) in new[] { ("a.pcap", CaptureWriter.Pcap(linkType, frames)), ("b.pcapng", CaptureWriter.PcapngBigEndian(linkType, frames)) })
        {
            var path = Path.Combine(_dir, name);
            File.WriteAllBytes(path, bytes);
            var (code, text, err) = Run(path, Fixture("psk-gcm", "keys.json"));
            code.Should().Be(0, $"{name}: {err}");
            text.Should().Contain("IDi: ID_FQDN client.test", name);
            text.Should().Contain("INTERNAL_IP4_DNS: 10.1.0.53", name);
            text.Should().Contain("NAT-keepalive", name);
            text.Should().Contain("ESP SPI c0010203 seq 42", name);
            text.Should().Contain(ipv6 ? "[2001:db8::2]:4500" : "192.0.2.2:4500", name);
        }
    }

    [Fact]
    public void A_truncated_capture_gives_a_clear_message_and_the_messages_read_so_far()
    {
        var full = File.ReadAllBytes(Fixture("psk-gcm", "capture.pcap"));
        var path = Path.Combine(_dir, "cut.pcap");
        File.WriteAllBytes(path, full.AsSpan(0, full.Length * 2 / 3).ToArray());
        var (code, text, err) = Run(path, Fixture("psk-gcm", "keys.json"));
        code.Should().Be(1);
        err.Should().Contain("truncated");
        text.Should().Contain("IKE_SA_INIT initiator request");
        text.Should().Contain("capture error:");
    }

    [Fact]
    public void Not_a_capture_and_bad_key_files_are_clear_errors()
    {
        var junk = Path.Combine(_dir, "junk.pcap");
        File.WriteAllText(junk, "hello, this is not a capture");
        var (code, _, err) = Run(junk, null);
        code.Should().Be(1);
        err.Should().Contain("not a pcap or pcapng capture");

        var badKeys = Path.Combine(_dir, "k.json");
        File.WriteAllText(badKeys, "{\"spiI\": \"zz\"}");
        (code, _, err) = Run(Fixture("psk-gcm", "capture.pcap"), badKeys);
        code.Should().Be(2);
        err.Should().Contain("spiI is not valid hex");

        (code, _, err) = Run(Path.Combine(_dir, "missing.pcap"), null);
        code.Should().Be(2);
        err.Should().Contain("does not exist");
    }

    [Fact]
    public void Random_corruption_of_a_capture_never_throws()
    {
        var full = File.ReadAllBytes(Fixture("cert-fragmented", "capture.pcap"));
        var keys = KeyTable.Parse(File.ReadAllText(Fixture("cert-fragmented", "keys.json")));
        var rng = new Random(7);
        for (int i = 0; i < 2000; i++)
        {
            var b = (byte[])full.Clone();
            for (int j = 0; j < 1 + rng.Next(8); j++) b[rng.Next(b.Length)] = (byte)rng.Next(256);
            if (rng.Next(4) == 0) b = b.AsSpan(0, rng.Next(b.Length)).ToArray();
            var report = new IkeInspector(keys).Inspect("x", b);
            InspectRenderer.ToText(report).Should().NotBeNull();
        }
    }
}
