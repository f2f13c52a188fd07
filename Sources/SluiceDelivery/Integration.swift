import SluiceCore

/// A destination Sluice can deliver to: one file per destination, registered in ``IntegrationRegistry``.
///
/// An integration turns events into requests and requests' answers into outcomes; it does no I/O of its own but
/// through the ``DeliverySender`` it is given, keeps no state between calls, and never throws: whatever goes wrong
/// for an event is that event's ``DeliveryOutcome``. Retries, expiry and metrics are the worker's.
public protocol Integration: Sendable {
    /// The catalog id of the destination (`DestinationMetadata.id`), e.g. `614a3c7d791c91c41bae7599` for
    /// Webhooks (Actions).
    static var metadataID: String { get }

    /// How many events one request carries for this subscription: 1 when the integration sends one event a request.
    ///
    /// ``deliver(_:to:sender:)`` takes any number of events and sends their requests concurrently, so a worker gets
    /// throughput by handing it many events at once (a multiple of this size keeps every request full).
    func batchSize(for target: DeliveryTarget) -> Int

    /// Delivers events of one subscription.
    /// - Parameters:
    ///   - events: The stored events (normalized by ``TrackingAPI``), in the order they should be sent.
    ///   - target: The subscription's action and settings, and the destination's settings.
    ///   - sender: Sends the requests.
    /// - Returns: One outcome per event, in the order of `events`.
    func deliver(_ events: [JSONValue], to target: DeliveryTarget, sender: DeliverySender) async -> [DeliveryOutcome]

    /// The top-level members of an event that delivering it to `target` reads, or `nil` for the whole event (the
    /// default). The worker then parses only these (and what the event log records) of each stored event.
    func eventMembers(for target: DeliveryTarget) -> Set<String>?

    /// Delivers stored events of one subscription, as ``deliver(_:to:sender:)-([JSONValue],_,_)`` does; by default,
    /// their parsed values through it.
    func deliver(_ events: [DeliveryEvent], to target: DeliveryTarget, sender: DeliverySender) async -> [DeliveryOutcome]
}

extension Integration {
    public func eventMembers(for target: DeliveryTarget) -> Set<String>? { nil }

    public func deliver(_ events: [DeliveryEvent], to target: DeliveryTarget, sender: DeliverySender) async -> [DeliveryOutcome] {
        await deliver(events.map(\.value), to: target, sender: sender)
    }
}

/// A stored event as the worker hands it to an integration: its bytes, and those bytes parsed.
public struct DeliveryEvent: Sendable {
    /// The event as stored: ``JSONWriter``'s encoding of the normalized event.
    public var stored: [UInt8]
    /// `stored` parsed: the whole event, or only the members the integration's ``Integration/eventMembers(for:)``
    /// names (and those the event log records).
    public var value: JSONValue

    /// An event as stored and parsed.
    public init(stored: [UInt8], value: JSONValue) {
        self.stored = stored
        self.value = value
    }

    /// An event given by its value, stored as ``JSONWriter`` writes it.
    public init(_ value: JSONValue) {
        self.init(stored: JSONWriter.encode(value), value: value)
    }
}

/// What an integration needs to know about where events go: one subscription of one destination.
public struct DeliveryTarget: Sendable, Equatable {
    /// The subscription's action (`Subscription.actionSlug`), e.g. `send`.
    public var actionSlug: String
    /// The subscription's settings: the action's fields, literals or mapping directives.
    public var subscriptionSettings: [String: JSONValue]
    /// The destination's settings (secrets in clear, as stored).
    public var destinationSettings: [String: JSONValue]

    /// Creates a target.
    public init(actionSlug: String, subscriptionSettings: [String: JSONValue], destinationSettings: [String: JSONValue]) {
        self.actionSlug = actionSlug
        self.subscriptionSettings = subscriptionSettings
        self.destinationSettings = destinationSettings
    }
}

/// The integrations Sluice has, by catalog id. Destinations without one take no delivery jobs.
public struct IntegrationRegistry: Sendable {
    private let byMetadataID: [String: any Integration]
    /// The catalog ids Sluice can deliver to, sorted.
    public let metadataIDs: [String]

    /// Creates a registry; when two integrations share a catalog id, the later wins.
    public init(_ integrations: [any Integration]) {
        var byMetadataID: [String: any Integration] = [:]
        for integration in integrations { byMetadataID[type(of: integration).metadataID] = integration }
        self.byMetadataID = byMetadataID
        self.metadataIDs = byMetadataID.keys.sorted()
    }

    /// Every integration Sluice ships, the Actions ones with their actions' fields from the catalog.
    /// - Parameter metadata: The catalog entry for a catalog id.
    public static func standard(metadata: (String) -> DestinationMetadata?) -> IntegrationRegistry {
        IntegrationRegistry([
            WebhookIntegration(),
            AmplitudeIntegration(metadata: metadata(AmplitudeIntegration.metadataID)),
            SlackIntegration(metadata: metadata(SlackIntegration.metadataID)),
            GoogleAnalytics4Integration(metadata: metadata(GoogleAnalytics4Integration.metadataID)),
            BrazeIntegration(metadata: metadata(BrazeIntegration.metadataID)),
            MixpanelIntegration(metadata: metadata(MixpanelIntegration.metadataID)),
            CustomerIOIntegration(metadata: metadata(CustomerIOIntegration.metadataID)),
        ])
    }

    /// Webhooks (Actions) alone: what tests of the pipeline deliver through without a catalog.
    public static let webhooksOnly = IntegrationRegistry([WebhookIntegration()])

    /// The integration for a destination's catalog id, or `nil` when Sluice cannot deliver to it.
    public func integration(for metadataID: String) -> (any Integration)? {
        byMetadataID[metadataID]
    }

    /// Whether Sluice can deliver to destinations with this catalog id.
    public func supports(_ metadataID: String) -> Bool {
        byMetadataID[metadataID] != nil
    }

}
