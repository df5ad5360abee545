#include "model/scenario_catalog_model.h"

#include "ipccore/scenario.h"

namespace ipcui {

ScenarioCatalogModel::ScenarioCatalogModel(QObject* parent)
    : QAbstractListModel(parent)
{ }

int ScenarioCatalogModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(ipccore::bundledScenarios().size());
}

QVariant ScenarioCatalogModel::data(const QModelIndex& index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const ipccore::BundledScenario& bundled = ipccore::bundledScenarios()[std::size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole:
        return QString::fromStdString(bundled.title.empty() ? bundled.name : bundled.title);
    case Qt::ToolTipRole:
    case DescriptionRole:
        return QString::fromStdString(bundled.description);
    case NameRole:
        return QString::fromStdString(bundled.name);
    default:
        return {};
    }
}

QHash<int, QByteArray> ScenarioCatalogModel::roleNames() const
{
    QHash<int, QByteArray> names = QAbstractListModel::roleNames();
    names.insert(NameRole, "name");
    names.insert(DescriptionRole, "description");
    return names;
}

int ScenarioCatalogModel::rowOf(const QString& name) const
{
    const auto& all = ipccore::bundledScenarios();
    for (std::size_t i = 0; i < all.size(); ++i) {
        if (QString::fromStdString(all[i].name) == name)
            return int(i);
    }
    return -1;
}

} // namespace ipcui
