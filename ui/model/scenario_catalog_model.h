#pragma once

// The bundled scenarios for the picker: title to show, name to load, description for the explanation panel.

#include <QAbstractListModel>

namespace ipcui {

class ScenarioCatalogModel : public QAbstractListModel {
    Q_OBJECT
public:
    enum Roles { NameRole = Qt::UserRole + 1, DescriptionRole };

    explicit ScenarioCatalogModel(QObject* parent = nullptr);

    int rowCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    // Row of the scenario with that name, -1 when not bundled.
    int rowOf(const QString& name) const;
};

} // namespace ipcui
