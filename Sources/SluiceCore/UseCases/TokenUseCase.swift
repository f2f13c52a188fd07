import Foundation

/// The rules of Public API tokens: what creating and revoking one records. The token's text is never stored or
/// recorded, only its hash.
public enum TokenUseCase {
    /// A token for the SHA-256 `hash` of its text; records `Access Token Created`.
    public static func create(hash: String, readOnly: Bool, actor: String, minting: Minting) -> Change<APIToken> {
        let token = APIToken(id: minting.id(), hash: hash, readOnly: readOnly, createdAt: minting.now())
        let audit = minting.audit(
            AuditEventType.tokenCreated, actor: actor, id: token.id, resourceType: "token", name: readOnly ? "read-only token" : "token")
        return Change(token, audit: [audit])
    }

    /// What revoking the token `id` records.
    public static func revoke(id: String, actor: String, minting: Minting) -> [AuditEvent] {
        [minting.audit(AuditEventType.tokenDeleted, actor: actor, id: id, resourceType: "token", name: "token")]
    }
}
