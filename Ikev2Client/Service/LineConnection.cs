using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ikev2Client.Service;

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

    /// <summary>The next JSON object, or null at end of stream. Throws <see cref="InvalidDataException"/> for an overlong line or bad JSON.</summary>
    public async Task<JsonObject?> ReadAsync(CancellationToken ct)
    {
        while (true)
        {
            int nl = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (nl >= 0)
            {
                var line = _buffer.AsMemory(_start, nl - _start);
                _start = nl + 1;
                if (line.Span.Trim((byte)'\r').Trim((byte)' ').IsEmpty) continue;
                try
                {
                    return JsonNode.Parse(line.Span, documentOptions: new JsonDocumentOptions { MaxDepth = 32 }) as JsonObject
                        ?? throw new InvalidDataException("a message must be a JSON object");
                }
                catch (JsonException) { throw new InvalidDataException("a message is not valid JSON"); }
            }
            if (_end - _start >= MaxLineBytes) throw new InvalidDataException($"a message is longer than {MaxLineBytes} bytes");
            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            if (_end == _buffer.Length) Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, MaxLineBytes + 1));
            int n = await _stream.ReadAsync(_buffer.AsMemory(_end), ct).ConfigureAwait(false);
            if (n == 0) return null;
            _end += n;
        }
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
