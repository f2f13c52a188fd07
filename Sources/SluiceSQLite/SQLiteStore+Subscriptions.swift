import Foundation
import GRDB
import SluiceCore

extension SQLiteStore {
    private static let subscriptionColumns: SQL =
        "id, destination_id, name, action_id, action_slug, trigger, enabled, settings, model_id, created_at, updated_at"

    private static func subscriptions(_ db: Database, literal tail: SQL) throws -> [Subscription] {
        try Row.fetchAll(db, literal: "SELECT \(subscriptionColumns) FROM subscriptions \(tail)").map {
            Subscription(
                id: $0["id"], destinationID: $0["destination_id"], name: $0["name"], actionID: $0["action_id"],
                actionSlug: $0["action_slug"], trigger: $0["trigger"], enabled: $0["enabled"], settings: object($0["settings"]),
                modelID: $0["model_id"], createdAt: date($0["created_at"]), updatedAt: date($0["updated_at"]))
        }
    }

    public func createSubscription(_ s: Subscription, audit: [AuditEvent]) async throws {
        try await groupWrite { db in
            guard try Bool.fetchOne(db, literal: "SELECT 1 FROM destinations WHERE id = \(s.destinationID)") == true else {
                throw StoreError.notFound(resource: "destination", id: s.destinationID)
            }
            try db.execute(
                literal: """
                    INSERT INTO subscriptions (id, destination_id, name, action_id, action_slug, trigger, enabled, settings,
                                               model_id, created_at, updated_at)
                    VALUES (\(s.id), \(s.destinationID), \(s.name), \(s.actionID), \(s.actionSlug), \(s.trigger), \(s.enabled),
                            \(Self.json(s.settings)), \(s.modelID), \(Self.millis(s.createdAt)), \(Self.millis(s.updatedAt)))
                    """)
            try Self.insertAudit(audit, db)
        }
    }

    public func subscription(destinationID: String, id: String) async throws -> Subscription? {
        try await pointRead(.one) { db in
            try Self.subscriptions(db, literal: "WHERE id = \(id) AND destination_id = \(destinationID)").first
        }
    }

    public func listSubscriptions(destinationID: String, page: PageRequest) async throws -> Page<Subscription> {
        try await read { db in
            let total =
                try Int.fetchOne(db, literal: "SELECT COUNT(*) FROM subscriptions WHERE destination_id = \(destinationID)") ?? 0
            let items = try Self.subscriptions(
                db, literal: "WHERE destination_id = \(destinationID) ORDER BY seq LIMIT \(page.count) OFFSET \(page.offset)")
            return Page(items: items, totalEntries: total, request: page)
        }
    }

    public func subscriptions(destinationIDs: [String]) async throws -> [Subscription] {
        guard !destinationIDs.isEmpty else { return [] }
        return try await read { db in
            try Self.subscriptions(db, literal: "WHERE destination_id IN \(destinationIDs) ORDER BY seq")
        }
    }

    public func updateSubscription(
        destinationID: String, id: String, _ transform: @escaping @Sendable (Subscription) throws -> (Subscription, [AuditEvent])
    ) async throws -> Subscription {
        try await groupWrite { db in
            guard let current = try Self.subscriptions(db, literal: "WHERE id = \(id) AND destination_id = \(destinationID)").first
            else { throw StoreError.notFound(resource: "subscription", id: id) }
            let (updated, audit) = try transform(current)
            try db.execute(
                literal: """
                    UPDATE subscriptions SET name = \(updated.name), trigger = \(updated.trigger), enabled = \(updated.enabled),
                        settings = \(Self.json(updated.settings)), model_id = \(updated.modelID),
                        updated_at = \(Self.millis(updated.updatedAt))
                    WHERE id = \(id)
                    """)
            try Self.insertAudit(audit, db)
            return updated
        }
    }

    public func deleteSubscription(destinationID: String, id: String, audit: @escaping @Sendable (Subscription) -> [AuditEvent]) async throws {
        try await groupWrite { db in
            guard let current = try Self.subscriptions(db, literal: "WHERE id = \(id) AND destination_id = \(destinationID)").first
            else { throw StoreError.notFound(resource: "subscription", id: id) }
            try db.execute(literal: "DELETE FROM subscriptions WHERE id = \(id)")
            try Self.insertAudit(audit(current), db)
        }
    }
}
