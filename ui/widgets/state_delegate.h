#pragma once

// Paints the process table's state cell as a coloured pill. Colours live here, not in the model, because
// ipcui_model is Qt Core only (QColor is Qt Gui).

#include <QStyledItemDelegate>

namespace ipcui {

class StateDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;
    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;
};

} // namespace ipcui
