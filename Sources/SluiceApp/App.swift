import Hummingbird

import SluiceCore
import SluiceSQLite
public enum AppPlaceholder {}
