using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ikev2Client.Profiles;

namespace Ikev2Client.Service;

/// <summary>A control message that is not a valid JSON object; <see cref="Id"/> is its id when one could be read.</summary>
internal sealed class BadMessageException(string message, JsonNode? id) : Exception(message)
{
    /// <summary>The request's numeric id, or null.</summary>
    public JsonNode? Id { get; } = id;
}

/// <summary>
/// One side of a control connection: UTF-8 JSON objects, one per line, each at most <see cref="MaxLineBytes"/>.
/// Reads never buffer more than that, so a peer cannot make us allocate without bound; writes are serialised.
/// </summary>
internal sealed class LineConnection : IAsyncDisposable
{
    /// <summary>Largest accepted line (a profile with a PKCS#12 fits easily).</summary>
    public const int MaxLineBytes = 1 << 20;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private byte[] _buffer = new byte[8192];
    private int _start, _end;

    public LineConnection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public Socket Socket => _socket;

    /// <summary>The next JSON object, or null at end of stream. Throws <see cref="InvalidDataException"/> for an
    /// overlong line and <see cref="BadMessageException"/> for a line that is not a valid JSON object.</summary>
    public async Task<JsonObject?> ReadAsync(CancellationToken ct)
    {
        var line = await ReadLineAsync(ct).ConfigureAwait(false);
        return line is null ? null : Parse(line.Value.Span);
    }

    /// <summary>
    /// The next non-blank line without its newline (valid until the next read), or null at end of stream. Throws
    /// <see cref="InvalidDataException"/> when a line exceeds <see cref="MaxLineBytes"/>: the rest of it could be
    /// unbounded, so the connection can't be read further.
    /// </summary>
    public async Task<ReadOnlyMemory<byte>?> ReadLineAsync(CancellationToken ct)
    {
        while (true)
        {
            int nl = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (nl >= 0)
            {
                var line = _buffer.AsMemory(_start, nl - _start);
                _start = nl + 1;
                if (line.Span.Trim((byte)'\r').Trim((byte)' ').IsEmpty) continue;
                if (line.Length > MaxLineBytes) throw new InvalidDataException($"a message is longer than {MaxLineBytes} bytes (the limit)");
                return line;
            }
            if (_end - _start > MaxLineBytes) throw new InvalidDataException($"a message is longer than {MaxLineBytes} bytes (the limit)");
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length) Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, MaxLineBytes + 2));
            int n = await _stream.ReadAsync(_buffer.AsMemory(_end), ct).ConfigureAwait(false);
            if (n == 0) return null;
            _end += n;
        }
    }

    /// <summary>
    /// One line as a JSON object, read strictly (<see cref="JsonInput"/>: UTF-8, decodable strings, no repeated
    /// keys, depth and size limits); otherwise <see cref="BadMessageException"/> carrying the request's id when one
    /// can still be read, so the answer can name it.
    /// </summary>
    public static JsonObject Parse(ReadOnlySpan<byte> line)
    {
        var node = JsonInput.TryParse(line, out var error);
        if (error is not null) throw new BadMessageException($"a message is not valid JSON: {error}", IdOf(line));
        return node as JsonObject ?? throw new BadMessageException($"a message must be a JSON object, not {JsonInput.KindName(node)}", null);
    }

    /// <summary>The numeric <c>id</c> of a message that failed strict reading, when the lenient reader finds one.</summary>
    private static JsonNode? IdOf(ReadOnlySpan<byte> line)
    {
        try
        {
            var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = ProfileLimits.MaxJsonDepth + 1 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isId = reader.ValueTextEquals("id"u8);
                if (!reader.Read()) return null;
                if (isId) return reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var id) ? JsonValue.Create(id) : null;
                reader.Skip();
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException) { }
        return null;
    }

    /// <summary>Writes one JSON object and a newline.</summary>
    public async Task WriteAsync(JsonObject message, CancellationToken ct)
    {
        var bytes = Encoding.UTF8.GetBytes(message.ToJsonString() + "\n");
        await _writeLock.WaitAsync(ct).ConfigureAwait(false);
        try { await _stream.WriteAsync(bytes, ct).ConfigureAwait(false); }
        finally { _writeLock.Release(); }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync().ConfigureAwait(false);
        _writeLock.Dispose();
    }
}
