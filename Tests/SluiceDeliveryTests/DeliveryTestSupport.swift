import Foundation
import SluiceCore
import Synchronization

@testable import SluiceDelivery

/// A sender that records every request and answers from a closure, for tests without a network.
final class RecordingSender: Sendable {
    private let recorded = Mutex<[HTTPRequestSpec]>([])
    private let answer: @Sendable (HTTPRequestSpec) throws -> HTTPResponseSpec

    init(answer: @escaping @Sendable (HTTPRequestSpec) throws -> HTTPResponseSpec = { _ in HTTPResponseSpec(status: 200) }) {
        self.answer = answer
    }

    /// Answers every request with `status`.
    convenience init(status: Int) {
        self.init { _ in HTTPResponseSpec(status: status) }
    }

    var requests: [HTTPRequestSpec] { recorded.withLock { $0 } }

    var sender: DeliverySender {
        DeliverySender { request in
            self.recorded.withLock { $0.append(request) }
            return try self.answer(request)
        }
    }
}

enum Fixtures {
    static func event(_ n: Int, userID: String = "u1", event name: String = "Order Completed") -> JSONValue {
        [
            "type": "track", "event": .string(name), "userId": .string(userID), "messageId": .string("m-\(n)"),
            "properties": ["n": .number(Double(n))], "receivedAt": "2023-11-14T22:13:20.000Z",
        ]
    }

    static func target(
        _ settings: [String: JSONValue] = [:],
        destination: [String: JSONValue] = [:],
        action: String = "send"
    ) -> DeliveryTarget {
        var merged: [String: JSONValue] = ["url": "https://hooks.example.com/in", "method": "POST", "data": ["@path": "$."]]
        merged.merge(settings) { _, new in new }
        return DeliveryTarget(actionSlug: action, subscriptionSettings: merged, destinationSettings: destination)
    }
}

extension HTTPRequestSpec {
    var json: JSONValue? { try? JSONValue.parse(body) }
}
