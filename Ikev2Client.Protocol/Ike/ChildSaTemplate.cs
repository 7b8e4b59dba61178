using Ikev2Client.Protocol.Esp;

namespace Ikev2Client.Protocol.Ike;

/// <summary>
/// What a CHILD SA of this IKE SA covers: our selectors (TSi when we initiate), the peer's (TSr), and the mode. The
/// initiator keeps the one its first CHILD SA was narrowed to, so a CHILD SA it creates again later with
/// CREATE_CHILD_SA asks for exactly that (our virtual IP, not the 0.0.0.0/0 we proposed before the CP reply).
/// </summary>
internal sealed record ChildSaTemplate(
    IReadOnlyList<Wire.Payloads.TrafficSelector> Local,
    IReadOnlyList<Wire.Payloads.TrafficSelector> Remote,
    EspMode Mode)
{
    /// <summary>The template of an established CHILD SA.</summary>
    public static ChildSaTemplate Of(ChildSaInfo child) => new(child.LocalTrafficSelectors, child.RemoteTrafficSelectors, child.Mode);
}
