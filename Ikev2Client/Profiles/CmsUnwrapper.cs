using System.Formats.Asn1;

namespace Ikev2Client.Profiles;

/// <summary>
/// Extracts the encapsulated content of a CMS/PKCS#7 SignedData (RFC 5652 §5) with <see cref="AsnReader"/>,
/// BER or DER. The signature is not verified. EnvelopedData (an encrypted profile) is reported as such.
/// </summary>
internal static class CmsUnwrapper
{
    private const string SignedDataOid = "1.2.840.113549.1.7.2";
    private const string EnvelopedDataOid = "1.2.840.113549.1.7.3";

    /// <summary>True when the data starts like a DER/BER SEQUENCE (0x30), i.e. is not XML text.</summary>
    public static bool LooksLikeCms(ReadOnlySpan<byte> data) => data.Length > 2 && data[0] == 0x30;

    /// <summary>The eContent octets; throws <see cref="ProfileImportException"/> for anything else.</summary>
    public static byte[] Unwrap(ReadOnlyMemory<byte> data)
    {
        try
        {
            var contentInfo = new AsnReader(data, AsnEncodingRules.BER).ReadSequence();
            var type = contentInfo.ReadObjectIdentifier();
            if (type == EnvelopedDataOid)
                throw new ProfileImportException(".mobileconfig: the profile is encrypted (CMS EnvelopedData) for one device and cannot be imported");
            if (type != SignedDataOid) throw new ProfileImportException($".mobileconfig: CMS content type {type} is not SignedData");
            var signedData = contentInfo.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0)).ReadSequence();
            signedData.ReadInteger();             // version
            signedData.ReadSetOf();               // digestAlgorithms
            var encap = signedData.ReadSequence(); // encapContentInfo
            encap.ReadObjectIdentifier();         // eContentType (id-data)
            if (!encap.HasData) throw new ProfileImportException(".mobileconfig: the signed profile has detached content");
            var explicitContent = encap.ReadSequence(new Asn1Tag(TagClass.ContextSpecific, 0));
            return explicitContent.ReadOctetString();
        }
        catch (AsnContentException)
        {
            throw new ProfileImportException(".mobileconfig: not an XML property list and not a valid CMS signed profile");
        }
    }
}
