using System.Security.Cryptography;
using System.Text;
using FluentAssertions;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Wire;
using Xunit;

namespace Ikev2Client.Tests.Auth;

/// <summary>RFC 4754 §8 test vectors: the signatures over "abc" (fixed k) verify as AUTH methods 9, 10 and 11.</summary>
public sealed class Rfc4754VectorTests
{
    private static byte[] H(string s) => Convert.FromHexString(s.Replace(" ", ""));

    public static TheoryData<IkeAuthMethod, string, string, string, string, string> Vectors => new()
    {
        {
            IkeAuthMethod.EcdsaSha256P256, "nistP256",
            "2442A5CC 0ECD015F A3CA31DC 8E2BBC70 BF42D60C BCA20085 E0822CB0 4235E970",
            "6FC98BD7 E50211A4 A27102FA 3549DF79 EBCB4BF2 46B80945 CDDFE7D5 09BBFD7D",
            "CB28E099 9B9C7715 FD0A80D8 E47A7707 9716CBBF 917DD72E 97566EA1 C066957C",
            "86FA3BB4 E26CAD5B F90B7F81 899256CE 7594BB1E A0C89212 748BFF3B 3D5B0315"
        },
        {
            IkeAuthMethod.EcdsaSha384P384, "nistP384",
            "96281BF8 DD5E0525 CA049C04 8D345D30 82968D10 FEDF5C5A CA0C64E6 465A97EA 5CE10C9D FEC21797 41571072 1F437922",
            "447688BA 94708EB6 E2E4D59F 6AB6D7ED FF9301D2 49FE49C3 3096655F 5D502FAD 3D383B91 C5E7EDAA 2B714CC9 9D5743CA",
            "FB017B91 4E291494 32D8BAC2 9A514640 B46F53DD AB2C6994 8084E293 0F1C8F7E 08E07C9C 63F2D21A 07DCB56A 6AF56EB3",
            "B263A130 5E057F98 4D38726A 1B468741 09F417BC A112674C 528262A4 0A629AF1 CBB9F516 CE0FA7D2 FF630863 A00E8B9F"
        },
        {
            IkeAuthMethod.EcdsaSha512P521, "nistP521",
            "0151518F 1AF0F563 517EDD54 85190DF9 5A4BF57B 5CBA4CF2 A9A3F647 4725A35F 7AFE0A6D DEB8BEDB CD6A197E 592D4018 8901CECD 650699C9 B5E456AE A5ADD190 52A8",
            "006F3B14 2EA1BFFF 7E2837AD 44C9E4FF 6D2D34C7 3184BBAD 90026DD5 E6E85317 D9DF45CA D7803C6C 20035B2F 3FF63AFF 4E1BA64D 1C077577 DA3F4286 C58F0AEA E643",
            "0154FD38 36AF92D0 DCA57DD5 341D3053 988534FD E8318FC6 AAAAB68E 2E6F4339 B19F2F28 1A7E0B22 C269D93C F8794A92 78880ED7 DBB8D936 2CAEACEE 54432055 2251",
            "017705A7 030290D1 CEB605A9 A1BB03FF 9CDD521E 87A696EC 926C8C10 C8362DF4 97536710 1F67D1CF 9BCCBF2F 3D239534 FA509E70 AAC851AE 01AAC68D 62F86647 2660"
        },
    };

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Rfc4754_signature_over_abc_verifies(IkeAuthMethod method, string curve, string x, string y, string r, string s)
    {
        var key = IkeVerificationKey.FromEcParameters(new ECParameters
        {
            Curve = ECCurve.CreateFromFriendlyName(curve),
            Q = new ECPoint { X = H(x), Y = H(y) },
        });
        var signature = H(r).Concat(H(s)).ToArray();
        var abc = Encoding.ASCII.GetBytes("abc");
        var ok = PublicKeyAuthenticator.Verify(key, method, signature, abc);
        ok.IsValid.Should().BeTrue(ok.Message);

        PublicKeyAuthenticator.Verify(key, method, signature, Encoding.ASCII.GetBytes("abd")).Failure.Should().Be(SignatureFailure.BadSignature);
    }
}
