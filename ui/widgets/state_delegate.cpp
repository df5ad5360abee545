#include "widgets/state_delegate.h"

#include "model/process_table_model.h"
#include "widgets/state_colors.h"

#include <QApplication>
#include <QPainter>

namespace ipcui {

void StateDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    QStyleOptionViewItem background = option;
    initStyleOption(&background, index);
    background.text.clear();
    const QWidget* widget = option.widget;
    QStyle* style = widget ? widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &background, painter, widget);

    const auto state = ipccore::WorkerState(index.data(ProcessTableModel::StateRole).toInt());
    const QRect pill = option.rect.adjusted(3, 3, -3, -3);
    painter->save();
    painter->setRenderHint(QPainter::Antialiasing);
    painter->setPen(Qt::NoPen);
    painter->setBrush(stateColor(state));
    painter->drawRoundedRect(pill, 4, 4);
    QFont font = option.font;
    font.setBold(true);
    painter->setFont(font);
    painter->setPen(stateTextColor(state));
    painter->drawText(pill.adjusted(6, 0, -4, 0), Qt::AlignVCenter | Qt::AlignLeft,
        option.fontMetrics.elidedText(index.data().toString(), Qt::ElideRight, pill.width() - 10));
    painter->restore();
}

QSize StateDelegate::sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    QSize size = QStyledItemDelegate::sizeHint(option, index);
    size.setWidth(
        std::max(size.width() + 16, option.fontMetrics.horizontalAdvance(QStringLiteral("waiting for lock")) + 24));
    return size;
}

} // namespace ipcui
