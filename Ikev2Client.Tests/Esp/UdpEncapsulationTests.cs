using FluentAssertions;
using Ikev2Client.Protocol.Esp;
using Xunit;

namespace Ikev2Client.Tests.Esp;

public sealed class UdpEncapsulationTests
{
    [Fact]
    public void Keepalive_is_a_single_ff_byte()
    {
        byte[] k = UdpEncapsulation.CreateKeepalive();
        k.Should().Equal(0xFF);
        UdpEncapsulation.Classify(k, out _).Should().Be(UdpEncapsulatedKind.NatKeepalive);
        UdpEncapsulation.Classify([0x00], out _).Should().Be(UdpEncapsulatedKind.Invalid);
    }

    [Fact]
    public void Ike_is_behind_the_non_esp_marker()
    {
        byte[] ike = Enumerable.Range(1, 40).Select(i => (byte)i).ToArray();
        byte[] datagram = UdpEncapsulation.PrependNonEspMarker(ike);
        datagram[..4].Should().Equal(0, 0, 0, 0);
        UdpEncapsulation.Classify(datagram, out int offset).Should().Be(UdpEncapsulatedKind.Ike);
        datagram[offset..].Should().Equal(ike);
    }

    [Fact]
    public void Esp_starts_with_a_non_zero_spi()
    {
        byte[] esp = [0x00, 0x00, 0x01, 0x00, 0, 0, 0, 1, 9, 9, 9, 9];
        UdpEncapsulation.Classify(esp, out int offset).Should().Be(UdpEncapsulatedKind.Esp);
        offset.Should().Be(0);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0000")]
    [InlineData("000000")]
    [InlineData("00000000AABBCC")]
    [InlineData("01020304")]
    [InlineData("FFFF")]
    public void ShortOrTruncated_is_invalid(string hex)
    {
        UdpEncapsulation.Classify(Convert.FromHexString(hex), out _).Should().Be(UdpEncapsulatedKind.Invalid);
    }

    [Fact]
    public void WriteIke_refuses_a_small_destination()
    {
        var act = () => UdpEncapsulation.WriteIke(new byte[30], new byte[33]);
        act.Should().Throw<ArgumentException>();
        byte[] dest = Enumerable.Repeat((byte)7, 40).ToArray();
        UdpEncapsulation.WriteIke(new byte[30], dest).Should().Be(34);
        dest[..4].Should().Equal(0, 0, 0, 0);
    }
}
