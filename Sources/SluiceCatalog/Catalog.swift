import SluiceCore
import SluiceCatalogData
import Yams
