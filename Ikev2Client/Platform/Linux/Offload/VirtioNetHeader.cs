using System.Buffers.Binary;

namespace Ikev2Client.Platform.Linux.Offload;

/// <summary>
/// struct virtio_net_hdr (10 bytes, little-endian on the hosts we run on) that prefixes every packet on a TUN opened
/// with IFF_VNET_HDR: checksum-offload and segmentation-offload metadata (virtio spec §5.1.6).
/// </summary>
internal readonly record struct VirtioNetHeader(byte Flags, byte GsoType, ushort HeaderLength, ushort GsoSize, ushort CsumStart, ushort CsumOffset)
{
    /// <summary>Bytes on the wire.</summary>
    public const int Size = 10;

    /// <summary>Flag: the checksum at CsumStart + CsumOffset is still to be computed (CHECKSUM_PARTIAL).</summary>
    public const byte FlagNeedsCsum = 1;

    /// <summary>gso_type values.</summary>
    public const byte GsoNone = 0, GsoTcpV4 = 1, GsoUdp = 3, GsoTcpV6 = 4, GsoUdpL4 = 5, GsoEcn = 0x80;

    /// <summary>Parses the first <see cref="Size"/> bytes.</summary>
    public static VirtioNetHeader Read(ReadOnlySpan<byte> b) => new(b[0], b[1],
        BinaryPrimitives.ReadUInt16LittleEndian(b[2..]), BinaryPrimitives.ReadUInt16LittleEndian(b[4..]),
        BinaryPrimitives.ReadUInt16LittleEndian(b[6..]), BinaryPrimitives.ReadUInt16LittleEndian(b[8..]));

    /// <summary>Writes the header into the first <see cref="Size"/> bytes.</summary>
    public void Write(Span<byte> b)
    {
        b[0] = Flags;
        b[1] = GsoType;
        BinaryPrimitives.WriteUInt16LittleEndian(b[2..], HeaderLength);
        BinaryPrimitives.WriteUInt16LittleEndian(b[4..], GsoSize);
        BinaryPrimitives.WriteUInt16LittleEndian(b[6..], CsumStart);
        BinaryPrimitives.WriteUInt16LittleEndian(b[8..], CsumOffset);
    }
}
