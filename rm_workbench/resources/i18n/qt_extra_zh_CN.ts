<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<!-- Qt's own strings that Qt 6.12's qtbase_zh_CN.qm leaves in English: the file dialog's
     labels gained a mnemonic ("&Look in:") the shipped catalog does not know. Loaded
     after Qt's catalog (rm_workbench.ui.app.install_translators); checked by
     tests/ui/test_qt_translations.py. Compiled by scripts/i18n.sh release. -->
<TS version="2.1" language="zh_CN">
<context>
    <name>QFileDialog</name>
    <message>
        <source>&amp;Look in:</source>
        <translation>查找范围(&amp;L)：</translation>
    </message>
    <message>
        <source>Files of &amp;type:</source>
        <translation>文件类型(&amp;T)：</translation>
    </message>
</context>
</TS>
