<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="zh_CN">
<context>
    <name>App</name>
    <message>
        <location filename="../../ui/app.py" line="54" />
        <source>RM Workbench</source>
        <translation>客户经理工作台</translation>
    </message>
    <message>
        <location filename="../../ui/app.py" line="55" />
        <source>No Chinese font was found on this computer, so Chinese text will show as boxes. Install a Chinese font (on Debian/Ubuntu: fonts-wqy-microhei).</source>
        <translation>本机没有找到中文字体，中文会显示为方框。请安装中文字体（Debian/Ubuntu：fonts-wqy-microhei）。</translation>
    </message>
</context>
<context>
    <name>CustomerTableModel</name>
    <message>
        <location filename="../../ui/customer_table.py" line="44" />
        <source>Potential</source>
        <translation>潜在</translation>
    </message>
    <message>
        <location filename="../../ui/customer_table.py" line="45" />
        <source>Active</source>
        <translation>活跃</translation>
    </message>
    <message>
        <location filename="../../ui/customer_table.py" line="46" />
        <source>Dormant</source>
        <translation>沉寂</translation>
    </message>
    <message>
        <location filename="../../ui/customer_table.py" line="47" />
        <source>Lost</source>
        <translation>流失</translation>
    </message>
    <message>
        <location filename="../../ui/customer_table.py" line="50" />
        <source>Customer no.</source>
        <translation>客户号</translation>
    </message>
    <message>
        <location filename="../../ui/customer_table.py" line="51" />
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <location filename="../../ui/customer_table.py" line="52" />
        <source>Tier</source>
        <translation>客户等级</translation>
    </message>
    <message>
        <location filename="../../ui/customer_table.py" line="53" />
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../../ui/customer_table.py" line="54" />
        <source>Mobile</source>
        <translation>手机</translation>
    </message>
    <message>
        <location filename="../../ui/customer_table.py" line="55" />
        <source>ID number</source>
        <translation>证件号码</translation>
    </message>
</context>
<context>
    <name>ErrorDialog</name>
    <message>
        <location filename="../../ui/error_dialog.py" line="17" />
        <source>Something unexpected went wrong: {error}</source>
        <translation>发生了意外错误：{error}</translation>
    </message>
    <message>
        <location filename="../../ui/error_dialog.py" line="25" />
        <source>RM Workbench</source>
        <translation>客户经理工作台</translation>
    </message>
    <message>
        <location filename="../../ui/error_dialog.py" line="29" />
        <source>Copy details</source>
        <translation>复制详细信息</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../ui/main_window.py" line="31" />
        <source>RM Workbench — {bank}</source>
        <translation>客户经理工作台 — {bank}</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="38" />
        <source>Search: name, pinyin, initials (zsf), phone or ID tail, customer no.</source>
        <translation>搜索：姓名、拼音、拼音首字母（zsf）、手机或证件尾号、客户号</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="86" />
        <source>{n} matches</source>
        <translation>找到 {n} 位客户</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="90" />
        <source>{n} customers in my book</source>
        <translation>我的客户共 {n} 位</translation>
    </message>
</context>
</TS>