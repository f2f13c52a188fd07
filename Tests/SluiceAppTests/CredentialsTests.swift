import Foundation
import HTTPTypes
import SluiceCore
import SluiceTesting
import Testing

@testable import SluiceApp

/// Revoking tokens and rotating write keys (what `sluice token revoke` and `sluice write-key` do),
/// checked through the API they guard.
@Suite struct CredentialsTests {
    @Test func aRevokedTokenIsRefused() async throws {
        try await TestHarness.withApp { client, store in
            // Given a second token, stored but not used yet
            let text = TokenAuthenticator.newTokenText()
            try await TokenAuthenticator(store: store).ensure(text, actor: "test")
            let token = try #require(try await store.listTokens().first { $0.hash == TokenAuthenticator.hash(text) })
            #expect(!(try await store.listTokens().map(\.hash).contains(text)))  // the text is never stored
            // When it is revoked
            try await Credentials.revokeToken(id: token.id, store: store, actor: "sluice/cli")
            // Then it is refused, and the trail says so without the token
            #expect(try await client.api(.get, "/", token: text).status == .unauthorized)
            let audit = try await client.api(.get, "/audit-events?pagination.count=50&resourceId=\(token.id)")
            #expect(audit.text.contains("Access Token Deleted"))
            #expect(!audit.text.contains(text))
            // And revoking it again names what is missing
            await #expect(throws: StoreError.notFound(resource: "token", id: token.id)) {
                try await Credentials.revokeToken(id: token.id, store: store, actor: "sluice/cli")
            }
        }
    }

    @Test func writeKeysRotate() async throws {
        try await TestHarness.withApp { client, store in
            let sourceID = try await client.createSource()
            let old = try #require(try await store.source(id: sourceID)?.writeKeys.first)
            let event: JSONValue = ["userId": "u", "event": "Rotated"]
            // A new key works beside the old one
            let new = try await Credentials.createWriteKey(sourceID: sourceID, store: store, actor: "sluice/cli")
            let source = try await client.api(.get, "/sources/\(sourceID)")
            #expect(source.data["source"]?["writeKeys"] == [.string(old), .string(new)])
            #expect(try await client.track(new, json: event).status == .ok)
            // The last key cannot be removed; a key the source does not have is not found
            await #expect(throws: StoreError.notFound(resource: "write key of source", id: sourceID)) {
                try await Credentials.revokeWriteKey(sourceID: sourceID, key: "not-a-key", store: store, actor: "sluice/cli")
            }
            try await Credentials.revokeWriteKey(sourceID: sourceID, key: old, store: store, actor: "sluice/cli")
            await #expect(throws: StoreError.self) {
                try await Credentials.revokeWriteKey(sourceID: sourceID, key: new, store: store, actor: "sluice/cli")
            }
            // The old key is refused, the new one still works
            #expect(try await client.track(old, json: event).status == .unauthorized)
            #expect(try await client.track(new, json: event).status == .ok)
            let after = try await client.api(.get, "/sources/\(sourceID)")
            #expect(after.data["source"]?["writeKeys"] == [.string(new)])
            // The trail records both changes and neither key
            let audit = try await client.api(.get, "/audit-events?pagination.count=50&resourceId=\(sourceID)")
            #expect(audit.text.contains("Source Write Key Created"))
            #expect(audit.text.contains("Source Write Key Deleted"))
            #expect(!audit.text.contains(old))
            #expect(!audit.text.contains(new))
        }
    }
}
