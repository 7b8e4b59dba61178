using System.CommandLine;
using System.Text;
using Ikev2Client.Inspect;
using Ikev2Client.Profiles;

namespace Ikev2Client.Cli;

/// <summary><c>ikev2 inspect FILE [--keys KEYS] [--json]</c>: what a person reaches for when a connection fails.</summary>
internal static class InspectCommand
{
    /// <summary>Largest capture inspected (docs/architecture.md, "Limits"); longer input stops there with exit 1.</summary>
    public const long MaxCaptureBytes = 1L << 30;

    public static Command Create()
    {
        var file = new Argument<FileInfo>("file") { Description = "A pcap or pcapng capture (tcpdump -w, Wireshark)" };
        var keys = new Option<FileInfo?>("--keys") { Description = "SK_* keys: JSON {spiI,spiR,skEi,skEr,skAi,skAr} (or a list) or a Wireshark ikev2_decryption_table" };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a payload tree" };
        var cmd = new Command("inspect", "Decode the IKEv2 messages (and list ESP packets) in a capture") { file, keys, json };
        cmd.SetAction(parse => Run(parse.GetValue(file)!, parse.GetValue(keys), parse.GetValue(json), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return cmd;
    }

    /// <summary>
    /// Exit codes: 0 read to the end; 1 the capture is truncated, corrupt or over <see cref="MaxCaptureBytes"/> (what
    /// was read is shown); 2 bad arguments. The capture is streamed: each packet is printed as it is decoded.
    /// </summary>
    public static int Run(FileInfo file, FileInfo? keysFile, bool json, TextWriter stdout, TextWriter stderr, long maxCaptureBytes = MaxCaptureBytes)
    {
        var shown = SafeText.Clip(file.FullName, 256);
        if (!file.Exists)
        {
            stderr.WriteLine($"ikev2 inspect: {shown} does not exist");
            return 2;
        }
        List<IkeSaSecrets>? keys = null;
        if (keysFile != null)
        {
            var keysShown = SafeText.Clip(keysFile.FullName, 256);
            if (!keysFile.Exists)
            {
                stderr.WriteLine($"ikev2 inspect: key file {keysShown} does not exist");
                return 2;
            }
            try
            {
                if (keysFile.Length > KeyTable.MaxFileBytes)
                {
                    stderr.WriteLine($"ikev2 inspect: key file {keysShown} has {keysFile.Length} bytes; the limit is {KeyTable.MaxFileBytes}");
                    return 2;
                }
                keys = KeyTable.Parse(File.ReadAllText(keysFile.FullName));
            }
            catch (KeyFileException e)
            {
                stderr.WriteLine($"ikev2 inspect: {SafeText.Clip(keysFile.Name, 256)}: {SafeText.Line(e.Message)}");
                return 2;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"ikev2 inspect: key file {keysShown} cannot be read ({e.GetType().Name})");
                return 2;
            }
        }
        if (file.Length > maxCaptureBytes)
        {
            stderr.WriteLine($"ikev2 inspect: {shown} has {file.Length} bytes, more than the {Size(maxCaptureBytes)} limit; cut it first (editcap -c, tcpdump -r … -c)");
            return 2;
        }
        Stream capture;
        try { capture = new FileStream(file.FullName, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 64 * 1024, FileOptions.SequentialScan); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"ikev2 inspect: {shown} cannot be read ({e.GetType().Name})");
            return 2;
        }
        var name = SafeText.Clip(file.Name, 256);
        (int Frames, string? Error) result;
        int packets = 0;
        using (var limited = new LimitedStream(capture, maxCaptureBytes))
        {
            if (json)
            {
                using var writer = new InspectJsonWriter(new TextWriterStream(stdout), name);
                result = new IkeInspector(keys).Inspect(limited, p => { packets++; writer.Write(p); });
                result.Error = Limited(result.Error, limited, maxCaptureBytes);
                writer.Finish(result.Frames, result.Error);
                stdout.WriteLine();
            }
            else
            {
                result = new IkeInspector(keys).Inspect(limited, p => { packets++; InspectRenderer.WriteText(stdout, p); });
                result.Error = Limited(result.Error, limited, maxCaptureBytes);
                InspectRenderer.WriteTextEnd(stdout, packets, result.Error);
            }
        }
        stdout.Flush();
        if (result.Error != null)
        {
            stderr.WriteLine($"ikev2 inspect: {name}: {SafeText.Line(result.Error)}");
            return 1;
        }
        return 0;
    }

    private static string? Limited(string? error, LimitedStream stream, long max) =>
        stream.Exceeded ? $"the capture is longer than the {Size(max)} limit of inspect; stopped there" : error;

    private static string Size(long bytes) => bytes % (1L << 30) == 0 ? $"{bytes >> 30} GiB" : bytes % (1 << 20) == 0 ? $"{bytes >> 20} MiB" : $"{bytes}-byte";

    /// <summary>Reads at most a number of bytes (a FIFO or a growing file can't say its length up front).</summary>
    private sealed class LimitedStream(Stream inner, long max) : Stream
    {
        private long _read;
        public bool Exceeded { get; private set; }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            if (_read >= max)
            {
                Exceeded |= inner.Read(stackalloc byte[1]) > 0;
                return 0;
            }
            int n = inner.Read(buffer[..(int)Math.Min(buffer.Length, max - _read)]);
            _read += n;
            return n;
        }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }

    /// <summary>UTF-8 bytes (from <see cref="System.Text.Json.Utf8JsonWriter"/>) written on to a text writer.</summary>
    private sealed class TextWriterStream(TextWriter writer) : Stream
    {
        private readonly Decoder _decoder = new UTF8Encoding(false).GetDecoder();
        private char[] _chars = new char[4096];
        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Write(ReadOnlySpan<byte> buffer)
        {
            int need = _decoder.GetCharCount(buffer, flush: false);
            if (need > _chars.Length) _chars = new char[need];
            int n = _decoder.GetChars(buffer, _chars, flush: false);
            writer.Write(_chars, 0, n);
        }
        public override void Flush() => writer.Flush();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
