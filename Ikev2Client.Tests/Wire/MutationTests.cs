using System.Buffers.Binary;
using FluentAssertions;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Protocol.Wire.Payloads;
using Xunit;
using Xunit.Abstractions;

namespace Ikev2Client.Tests.Wire;

/// <summary>
/// Mutates valid messages (bit flips, random bytes, truncation and extension, length fields set to edge
/// values, next-payload fields rewritten into loops and unknown types, counts set huge) at least 200,000 times
/// and accepts only typed errors or messages that re-encode and decode again. No exception may escape and the
/// codec's defensive catch must never fire.
/// </summary>
public sealed class MutationTests
{
    private const int Iterations = 200_000;
    private readonly ITestOutputHelper _output;

    public MutationTests(ITestOutputHelper output) => _output = output;

    private static List<(string Name, byte[] Bytes, bool InnerChain, PayloadType First)> Seeds()
    {
        var seeds = new List<(string, byte[], bool, PayloadType)>();
        var init = IkeMessageCodec.Encode(SampleMessages.IkeSaInitRequest());
        seeds.Add(("IKE_SA_INIT request", init, false, PayloadType.None));
        var auth = SampleMessages.IkeAuthRequest();
        seeds.Add(("IKE_AUTH inner chain", IkeMessageCodec.Encode(auth).AsSpan(IkeHeader.Size).ToArray(), true, auth.Payloads[0].Type));
        seeds.Add(("IKE_AUTH encrypted", IkeMessageCodec.EncodeEncrypted(auth, new TestProtector(), new SeededRandom(9)), false, PayloadType.None));
        seeds.Add(("INFORMATIONAL delete", IkeMessageCodec.Encode(SampleMessages.InformationalDelete()), false, PayloadType.None));
        seeds.Add(("SKF fragment", IkeMessageCodec.EncodeFragmented(auth, new TestProtector(), new SeededRandom(10), 300)[0], false, PayloadType.None));
        foreach (var (name, bytes) in CapturedMessages.All())
            seeds.Add((name, bytes, false, PayloadType.None));
        return seeds;
    }

    [Fact]
    public void Two_hundred_thousand_mutations_yield_only_typed_errors()
    {
        var seeds = Seeds();
        var rng = new Random(20261122);
        int accepted = 0, rejected = 0;
        var faults = new List<string>();
        var codes = new Dictionary<IkeParseErrorCode, int>();
        for (int i = 0; i < Iterations; i++)
        {
            var (name, seed, inner, first) = seeds[i % seeds.Count];
            var mutated = Mutate(seed, rng, inner);
            bool ok;
            IkeMessage? m;
            IkeParseError? err;
            try
            {
                if (inner)
                    ok = IkeMessageCodec.TryParseInner(default, MutateFirst(first, rng), mutated, Array.Empty<Payload>(), out m, out err);
                else
                    ok = IkeMessageCodec.TryDecode(mutated, out m, out err);
                if (ok)
                {
                    PayloadRules.Check(m!);
                    PayloadRules.CheckOuter(m!);
                    _ = m!.ToString();
                    var again = IkeMessageCodec.Encode(m!);
                    if (!inner)
                    {
                        IkeMessageCodec.TryDecode(again, out var m2, out var err2).Should().BeTrue($"re-encoded {name} must decode again: {err2}");
                        IkeMessageCodec.Encode(m2!).Should().Equal(again);
                    }
                }
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"iteration {i} on {name} threw {e.GetType().Name}: {e.Message}\ninput: {Convert.ToHexString(mutated)}\n{e}");
            }
            if (ok) accepted++;
            else
            {
                rejected++;
                err.Should().NotBeNull();
                err!.Message.Should().NotBeNullOrWhiteSpace();
                codes[err.Code] = codes.GetValueOrDefault(err.Code) + 1;
                if (err.Fault is { } fault)
                    faults.Add($"iteration {i} on {name}: {fault.GetType().Name}: {fault.Message}\ninput: {Convert.ToHexString(mutated)}");
            }
        }
        faults.Should().BeEmpty("no parser may rely on the codec's defensive catch");
        _output.WriteLine($"{Iterations} mutations of {seeds.Count} seeds: {accepted} accepted, {rejected} rejected; " +
                          string.Join(", ", codes.Select(kv => $"{kv.Key}={kv.Value}")));
        rejected.Should().BeGreaterThan(Iterations / 4);
        codes.Keys.Should().Contain(new[] { IkeParseErrorCode.Truncated, IkeParseErrorCode.InvalidLength, IkeParseErrorCode.InvalidSyntax });
    }

    private static PayloadType MutateFirst(PayloadType first, Random rng) =>
        rng.Next(10) == 0 ? (PayloadType)rng.Next(256) : first;

    private static byte[] Mutate(byte[] seed, Random rng, bool inner)
    {
        var b = (byte[])seed.Clone();
        int ops = 1 + rng.Next(3);
        for (int op = 0; op < ops; op++)
        {
            if (b.Length == 0) break;
            switch (rng.Next(8))
            {
                case 0: // bit flip
                    b[rng.Next(b.Length)] ^= (byte)(1 << rng.Next(8));
                    break;
                case 1: // random byte
                    b[rng.Next(b.Length)] = (byte)rng.Next(256);
                    break;
                case 2: // truncate
                    Array.Resize(ref b, rng.Next(b.Length));
                    break;
                case 3: // extend with junk
                {
                    int old = b.Length;
                    Array.Resize(ref b, old + 1 + rng.Next(64));
                    rng.NextBytes(b.AsSpan(old));
                    break;
                }
                case 4: // a 16-bit length-ish field set to an edge value
                {
                    if (b.Length < 2) break;
                    int at = rng.Next(b.Length - 1);
                    ushort[] edges = { 0, 1, 3, 4, 5, 7, 8, 0x7fff, 0x8000, 0xffff, (ushort)b.Length, (ushort)(b.Length + 1), (ushort)(b.Length - at) };
                    BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(at), edges[rng.Next(edges.Length)]);
                    break;
                }
                case 5: // the IKE header length field
                    if (!inner && b.Length >= 28)
                        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(24), (uint)rng.Next(0, b.Length + 100));
                    break;
                case 6: // a next-payload field rewritten: loops to known types, unknown (critical or not)
                {
                    int at = rng.Next(b.Length);
                    byte[] types = { 0, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 53, 1, 200, 255 };
                    b[at] = types[rng.Next(types.Length)];
                    if (at + 1 < b.Length && rng.Next(2) == 0) b[at + 1] ^= 0x80;
                    break;
                }
                case 7: // counts set huge (num transforms, num TS, num SPIs, SPI size)
                    b[rng.Next(b.Length)] = 0xff;
                    if (b.Length > 2) b[rng.Next(b.Length)] = 0xfe;
                    break;
            }
        }
        return b;
    }
}
