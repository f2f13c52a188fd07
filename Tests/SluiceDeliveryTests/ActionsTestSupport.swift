import SluiceCore
import Testing

@testable import SluiceDelivery

extension ActionsRuntime {
    /// The one request planned for one event, recording an issue when the plan is otherwise.
    func onlyRequest(_ event: JSONValue, _ target: DeliveryTarget) throws -> HTTPRequestSpec {
        let plan = requests(for: [event], to: target)
        #expect(plan.count == 1)
        let requests = try #require(plan.first).requests.get()
        #expect(requests.count == 1)
        return try #require(requests.first)
    }
}

extension DestinationMetadata {
    /// A subscription of the action `slug` with `mapping` over the catalog defaults, checked and filled as the API
    /// stores it.
    func target(_ slug: String, _ mapping: [String: JSONValue], destinationSettings: [String: JSONValue]) throws -> DeliveryTarget {
        let action = try #require(actions.first { $0.slug == slug })
        let stored = try ActionSettings.validate(mapping, fields: action.fields, enabled: true, otherFields: unlistedFieldKeys(actionID: action.id))
        return DeliveryTarget(actionSlug: slug, subscriptionSettings: stored, destinationSettings: destinationSettings)
    }
}
