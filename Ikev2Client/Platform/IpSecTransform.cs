using System.Net;
using Ikev2Client.Protocol;
using Ikev2Client.Protocol.Crypto;
using Ikev2Client.Protocol.Esp;

namespace Ikev2Client.Platform;

/// <summary>
/// One direction of a CHILD SA ready to apply to a socket (Android <c>android.net.IpSecTransform</c>), built with
/// <see cref="Builder"/> from the negotiated algorithms and keys. Holds the managed ESP SA; disposing the transform
/// removes it from every socket and SPI table it was applied to and wipes the keys.
/// </summary>
public sealed class IpSecTransform : IDisposable
{
    private readonly object _sealLock = new();
    private readonly object _openLock = new();
    private Action<IpSecTransform>? _closed;
    private int _disposed;

    private IpSecTransform(EspSa sa, IPAddress sourceAddress, SecurityParameterIndex spi, UdpEncapsulationSocket? encapsulation, int remotePort)
    {
        Sa = sa;
        SourceAddress = sourceAddress;
        SecurityParameterIndex = spi;
        Spi = spi.Value;
        DestinationAddress = spi.DestinationAddress;
        EncapsulationSocket = encapsulation;
        EncapsulationRemotePort = remotePort;
    }

    /// <summary>Transport or tunnel mode.</summary>
    public EspMode Mode => Sa.Mode;
    /// <summary>Local (source) address of the SA.</summary>
    public IPAddress SourceAddress { get; }
    /// <summary>Remote (destination) address of the SA, taken from the SPI reservation.</summary>
    public IPAddress DestinationAddress { get; }
    /// <summary>The SPI reservation this transform was built with.</summary>
    public SecurityParameterIndex SecurityParameterIndex { get; }
    /// <summary>The SPI on the wire.</summary>
    public uint Spi { get; }
    /// <summary>The UDP encapsulation socket, when <see cref="Builder.SetIpv4Encapsulation"/> was used.</summary>
    public UdpEncapsulationSocket? EncapsulationSocket { get; }
    /// <summary>Remote UDP port for encapsulated ESP.</summary>
    public int EncapsulationRemotePort { get; }
    /// <summary>Traffic and drop counters of the SA.</summary>
    public EspSaCounters Counters => Sa.Counters;
    /// <summary>
    /// True once the outbound sequence number passed the rekey threshold (2^32 − 2^20 without ESN) or a soft volume limit
    /// (<see cref="Builder.SetLifetime"/>) was reached: the owner starts a CHILD SA rekey.
    /// </summary>
    public bool NeedsRekey => Sa.NeedsRekey;
    /// <summary>True once a hard volume limit was reached: the SA seals and opens nothing more.</summary>
    public bool IsExpired => Sa.IsExpired;
    /// <summary>The soft and hard volume limits (none unless set with <see cref="Builder.SetLifetime"/>).</summary>
    public EspLifetime Lifetime => Sa.Lifetime;
    /// <summary>True once disposed.</summary>
    public bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    internal EspSa Sa { get; }
    internal object SealLock => _sealLock;
    internal object OpenLock => _openLock;

    /// <summary>Registers a callback run once when the transform is disposed (used by managers).</summary>
    internal void OnClosed(Action<IpSecTransform> callback)
    {
        lock (_sealLock)
        {
            if (IsDisposed)
            {
                callback(this);
                return;
            }

            _closed += callback;
        }
    }

    /// <summary>Removes the SA from everything it is applied to, then releases and wipes it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Action<IpSecTransform>? closed;
        lock (_sealLock)
        {
            closed = _closed;
            _closed = null;
        }

        closed?.Invoke(this);
        lock (_openLock)
        {
            lock (_sealLock)
            {
                Sa.Dispose();
            }
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"IpSecTransform {Sa} {SourceAddress} -> {DestinationAddress}";

    /// <summary>Builds transforms (Android <c>IpSecTransform.Builder</c>).</summary>
    public sealed class Builder
    {
        private IpSecAlgorithm? _encryption;
        private IpSecAlgorithm? _authentication;
        private IpSecAlgorithm? _aead;
        private UdpEncapsulationSocket? _encapsulation;
        private int _remotePort;
        private bool _esn;
        private IRandomSource? _random;
        private int _replayWindow = ReplayWindow.DefaultSize;
        private EspLifetime _lifetime = EspLifetime.Unlimited;

        /// <summary>Sets the encryption algorithm (with <see cref="SetAuthentication"/>; not with AEAD).</summary>
        public Builder SetEncryption(IpSecAlgorithm algorithm)
        {
            Require(algorithm, algorithm.IsEncryption, "an encryption algorithm");
            _encryption = algorithm;
            return this;
        }

        /// <summary>Sets the authentication algorithm (with <see cref="SetEncryption"/>; not with AEAD).</summary>
        public Builder SetAuthentication(IpSecAlgorithm algorithm)
        {
            Require(algorithm, algorithm.IsAuthentication, "an authentication algorithm");
            _authentication = algorithm;
            return this;
        }

        /// <summary>Sets a combined-mode algorithm (AES-GCM with a 64-, 96- or 128-bit ICV, ChaCha20-Poly1305).</summary>
        public Builder SetAuthenticatedEncryption(IpSecAlgorithm algorithm)
        {
            Require(algorithm, algorithm.IsAead, "an authenticated-encryption algorithm");
            _aead = algorithm;
            return this;
        }

        /// <summary>Carries ESP in UDP (RFC 3948) from <paramref name="socket"/> to the remote port.</summary>
        public Builder SetIpv4Encapsulation(UdpEncapsulationSocket socket, int remotePort)
        {
            ArgumentNullException.ThrowIfNull(socket);
            ArgumentOutOfRangeException.ThrowIfLessThan(remotePort, 1);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(remotePort, 65535);
            _encapsulation = socket;
            _remotePort = remotePort;
            return this;
        }

        /// <summary>Uses 64-bit extended sequence numbers (RFC 4304) when negotiated. Not in Android's API.</summary>
        public Builder SetExtendedSequenceNumbers(bool enabled)
        {
            _esn = enabled;
            return this;
        }

        /// <summary>Anti-replay window size for inbound use (default 1024). Not in Android's API.</summary>
        public Builder SetReplayWindowSize(int packets)
        {
            _replayWindow = packets;
            return this;
        }

        /// <summary>
        /// Soft and hard byte/packet limits (strongSwan's <c>rekey_bytes</c>/<c>life_bytes</c>, <c>rekey_packets</c>/
        /// <c>life_packets</c>): <see cref="NeedsRekey"/> turns true at a soft limit, the SA refuses traffic at a hard one.
        /// Not in Android's API (its kernel SAs get lifetimes from the IKE library's own configuration).
        /// </summary>
        public Builder SetLifetime(EspLifetime lifetime)
        {
            ArgumentNullException.ThrowIfNull(lifetime);
            _lifetime = lifetime;
            return this;
        }

        /// <summary>Random source for CBC IV keys (tests). Not in Android's API.</summary>
        internal Builder SetRandomSource(IRandomSource random)
        {
            _random = random;
            return this;
        }

        /// <summary>Builds a transport-mode transform for the SA identified by <paramref name="spi"/>.</summary>
        public IpSecTransform BuildTransportModeTransform(IPAddress sourceAddress, SecurityParameterIndex spi) =>
            Build(sourceAddress, spi, EspMode.Transport);

        /// <summary>Builds a tunnel-mode transform for the SA identified by <paramref name="spi"/>.</summary>
        public IpSecTransform BuildTunnelModeTransform(IPAddress sourceAddress, SecurityParameterIndex spi) =>
            Build(sourceAddress, spi, EspMode.Tunnel);

        private IpSecTransform Build(IPAddress sourceAddress, SecurityParameterIndex spi, EspMode mode)
        {
            ArgumentNullException.ThrowIfNull(sourceAddress);
            ArgumentNullException.ThrowIfNull(spi);
            if (!spi.IsReserved)
            {
                throw new InvalidOperationException("the SPI reservation was already released");
            }

            EspSa sa;
            if (_aead is not null)
            {
                if (_encryption is not null || _authentication is not null)
                {
                    throw new InvalidOperationException("authenticated encryption excludes separate encryption/authentication");
                }

                int keyBits = _aead.KeyLengthBits - 32;
                EncrId encr = _aead.Name == IpSecAlgorithm.AuthCryptChaCha20Poly1305
                    ? EncrId.ChaCha20Poly1305
                    : _aead.TruncationLengthBits switch { 64 => EncrId.AesGcm8, 96 => EncrId.AesGcm12, _ => EncrId.AesGcm16 };
                sa = new EspSa(spi.Value, encr, keyBits, IntegId.None, _aead.Key, [], _esn, mode, _random, _replayWindow) { Lifetime = _lifetime };
            }
            else
            {
                if (_encryption is null || _authentication is null)
                {
                    throw new InvalidOperationException("set both encryption and authentication, or authenticated encryption");
                }

                bool ctr = _encryption.Name == IpSecAlgorithm.CryptAesCtr;
                EncrId encr = ctr ? EncrId.AesCtr : EncrId.AesCbc;
                int keyBits = _encryption.KeyLengthBits - (ctr ? 32 : 0);
                IntegId integ = IpSecAlgorithm.IntegrityOf(_authentication.Name);
                sa = new EspSa(spi.Value, encr, keyBits, integ, _encryption.Key, _authentication.Key, _esn, mode, _random, _replayWindow,
                    icvLength: _authentication.TruncationLengthBits / 8) { Lifetime = _lifetime };
            }

            return new IpSecTransform(sa, sourceAddress, spi, _encapsulation, _remotePort);
        }

        private static void Require(IpSecAlgorithm algorithm, bool ok, string what)
        {
            ArgumentNullException.ThrowIfNull(algorithm);
            if (!ok)
            {
                throw new ArgumentException($"{algorithm.Name} is not {what}", nameof(algorithm));
            }
        }
    }
}
