import SluiceCore

/// Slack (Actions), catalog id `5f7dd8e302173ff732db5cc4`: the action `postToChannel` posts a message to an
/// incoming webhook, as Segment's `slack/postToChannel` does.
///
/// Fields: `url` (required; must look like a Slack webhook, `https://….slack.com/…`, or the event is discarded
/// with `Invalid Slack URL`, as Segment answers), `text` (required), `channel`, `username` (default `Segment`),
/// `icon_url`. The request is a `POST` of `{"channel", "text", "username", "icon_url"}` (absent members left out)
/// to `url`. The destination has no settings.
public struct SlackIntegration: ActionsIntegration {
    /// The catalog id of Slack (Actions).
    public static let metadataID = "5f7dd8e302173ff732db5cc4"

    public let runtime: ActionsRuntime

    /// Creates the integration with the action's fields from the catalog entry.
    public init(metadata: DestinationMetadata?) {
        runtime = ActionsRuntime(actions: [ActionImplementation(slug: "postToChannel", perform: Self.postToChannel)], metadata: metadata)
    }

    static func postToChannel(_ payload: [String: JSONValue], _ settings: [String: JSONValue]) throws(ActionFailure) -> [HTTPRequestSpec] {
        guard let url = payload.text("url"), isSlackWebhookURL(url) else {
            throw ActionFailure(outcome: .discarded(reason: "Invalid Slack URL"))
        }
        var body: [String: JSONValue] = [:]
        for key in ["channel", "text", "username", "icon_url"] { body[key] = payload[key] }
        return [.json(url, body: .object(body))]
    }

    /// Segment's check, the same pattern (its unescaped `.` before `com` matches any character).
    static func isSlackWebhookURL(_ url: String) -> Bool {
        url.wholeMatch(of: #/https:\/\/[a-zA-Z0-9.-]+\.slack.com[\/a-zA-Z0-9]+/#) != nil
    }
}
