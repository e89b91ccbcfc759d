<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>ActivityDialog</name>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="96"/>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="98"/>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="203"/>
        <source>Low</source>
        <translation>低</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="204"/>
        <source>Normal</source>
        <translation>普通</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="205"/>
        <source>High</source>
        <translation>高</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="206"/>
        <source>Urgent</source>
        <translation>紧急</translation>
    </message>
</context>
<context>
    <name>ActivityTabs</name>
    <message>
        <location filename="../../ui/customer360/activities.py" line="28"/>
        <source>No visit, contact, need or opportunity recorded yet.</source>
        <translation>还没有拜访、联系、需求或商机记录。</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/activities.py" line="30"/>
        <source>Timeline</source>
        <translation>时间线</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/activities.py" line="34"/>
        <source>Edit need…</source>
        <translation>编辑需求…</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/activities.py" line="36"/>
        <source>Close need…</source>
        <translation>关闭需求…</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/activities.py" line="38"/>
        <source>New need…</source>
        <translation>新增需求…</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/activities.py" line="39"/>
        <source>No need recorded yet.</source>
        <translation>还没有记录客户需求。</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/activities.py" line="42"/>
        <source>Needs</source>
        <translation>客户需求</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/activities.py" line="47"/>
        <source>Edit opportunity…</source>
        <translation>编辑商机…</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/activities.py" line="49"/>
        <source>Won / lost…</source>
        <translation>成交 / 丢单…</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/activities.py" line="51"/>
        <source>New opportunity…</source>
        <translation>新增商机…</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/activities.py" line="52"/>
        <source>No opportunity recorded yet.</source>
        <translation>还没有记录商机。</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/activities.py" line="60"/>
        <source>Opportunities</source>
        <translation>商机</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/activities.py" line="64"/>
        <source>Proposals</source>
        <translation>产品方案</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/activities.py" line="81"/>
        <source>Timeline ({n})</source>
        <translation>时间线（{n}）</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/activities.py" line="82"/>
        <source>Needs ({open} open)</source>
        <translation>客户需求（{open}项未结）</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/activities.py" line="83"/>
        <source>Opportunities ({open} open)</source>
        <translation>商机（{open}项进行中）</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/activities.py" line="84"/>
        <source>Proposals ({n})</source>
        <translation>产品方案（{n}）</translation>
    </message>
</context>
<context>
    <name>AgendaModel</name>
    <message>
        <location filename="../../ui/visit_agenda_model.py" line="112"/>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <location filename="../../ui/visit_agenda_model.py" line="113"/>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <location filename="../../ui/visit_agenda_model.py" line="114"/>
        <source>Tier</source>
        <translation>等级</translation>
    </message>
    <message>
        <location filename="../../ui/visit_agenda_model.py" line="115"/>
        <source>Purpose</source>
        <translation>拜访目的</translation>
    </message>
    <message>
        <location filename="../../ui/visit_agenda_model.py" line="116"/>
        <source>Type</source>
        <translation>拜访方式</translation>
    </message>
    <message>
        <location filename="../../ui/visit_agenda_model.py" line="117"/>
        <source>Place</source>
        <translation>地点</translation>
    </message>
    <message>
        <location filename="../../ui/visit_agenda_model.py" line="118"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../../ui/visit_agenda_model.py" line="119"/>
        <source>Outcome</source>
        <translation>拜访结果</translation>
    </message>
    <message>
        <location filename="../../ui/visit_agenda_model.py" line="121"/>
        <source>To write up</source>
        <translation>待记录</translation>
    </message>
</context>
<context>
    <name>App</name>
    <message>
        <location filename="../../ui/app.py" line="70"/>
        <source>Starting the demo central CRM (the first time takes a while)…</source>
        <translation>正在启动示范总行系统（首次启动需要一些时间）…</translation>
    </message>
    <message>
        <location filename="../../ui/app.py" line="112"/>
        <source>RM Workbench</source>
        <translation>客户经理工作台</translation>
    </message>
    <message>
        <location filename="../../ui/app.py" line="113"/>
        <source>No Chinese font was found on this computer, so Chinese text will show as boxes. Install a Chinese font (on Debian/Ubuntu: fonts-wqy-microhei).</source>
        <translation>本机没有找到中文字体，中文会显示为方框。请安装中文字体（Debian/Ubuntu：fonts-wqy-microhei）。</translation>
    </message>
    <message>
        <location filename="../../ui/app.py" line="154"/>
        <source>Welcome. Log in to your bank&apos;s central CRM.</source>
        <translation>欢迎使用。请登录本行总行客户关系管理系统。</translation>
    </message>
</context>
<context>
    <name>BundlesModel</name>
    <message>
        <location filename="../../ui/proposal_dialog.py" line="62"/>
        <source>Bundle</source>
        <translation>套餐</translation>
    </message>
    <message>
        <location filename="../../ui/proposal_dialog.py" line="63"/>
        <source>Products</source>
        <translation>产品数</translation>
    </message>
    <message>
        <location filename="../../ui/proposal_dialog.py" line="64"/>
        <source>Why</source>
        <translation>推荐理由</translation>
    </message>
</context>
<context>
    <name>CancelVisitDialog</name>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="812"/>
        <source>Cancel the visit — {name}</source>
        <translation>取消拜访 — {name}</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="817"/>
        <source>The customer asked to meet another time</source>
        <translation>客户临时有事，另约时间</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="818"/>
        <source>Could not reach the customer</source>
        <translation>联系不上客户</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="819"/>
        <source>Weather or traffic</source>
        <translation>天气或交通原因</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="820"/>
        <source>Planned by mistake</source>
        <translation>计划有误</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="822"/>
        <source>Why the visit is cancelled</source>
        <translation>请填写取消原因</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="825"/>
        <source>Cancel the visit</source>
        <translation>取消拜访</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="825"/>
        <source>Keep the visit</source>
        <translation>不取消</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="830"/>
        <source>Reason</source>
        <translation>取消原因</translation>
    </message>
</context>
<context>
    <name>CloseNeedDialog</name>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="435"/>
        <source>Close need: {summary}</source>
        <translation>关闭需求：{summary}</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="436"/>
        <source>Met: the customer&apos;s need was served</source>
        <translation>已满足：客户的需求已得到满足</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="439"/>
        <source>Closed: no longer pursued</source>
        <translation>已关闭：不再跟进</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="443"/>
        <source>e.g. Bought the education savings plan</source>
        <translation>例如：已购买教育金储蓄计划</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="444"/>
        <source>Outcome</source>
        <translation>结果</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="446"/>
        <source>Note (up to 32 characters)</source>
        <translation>说明（最多32字）</translation>
    </message>
</context>
<context>
    <name>CloseOpportunityDialog</name>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="641"/>
        <source>Close opportunity: {summary}</source>
        <translation>结束商机：{summary}</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="643"/>
        <source>Won: the customer bought</source>
        <translation>已成交：客户已购买</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="646"/>
        <source>Lost: the customer declined</source>
        <translation>已丢单：客户已拒绝</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="648"/>
        <source>Outcome</source>
        <translation>结果</translation>
    </message>
</context>
<context>
    <name>ConflictDialog</name>
    <message>
        <location filename="../../ui/conflict_dialog.py" line="36"/>
        <source>Sync conflicts</source>
        <translation>同步冲突</translation>
    </message>
    <message>
        <location filename="../../ui/conflict_dialog.py" line="66"/>
        <source>Before both edits</source>
        <translation>修改前</translation>
    </message>
    <message>
        <location filename="../../ui/conflict_dialog.py" line="67"/>
        <source>Theirs (now in the central CRM)</source>
        <translation>他人的值（总行当前值）</translation>
    </message>
    <message>
        <location filename="../../ui/conflict_dialog.py" line="68"/>
        <location filename="../../ui/conflict_dialog.py" line="70"/>
        <source>Changed by</source>
        <translation>修改人</translation>
    </message>
    <message>
        <location filename="../../ui/conflict_dialog.py" line="69"/>
        <source>Yours</source>
        <translation>您的值</translation>
    </message>
    <message>
        <location filename="../../ui/conflict_dialog.py" line="79"/>
        <source>Keep mine</source>
        <translation>保留我的</translation>
    </message>
    <message>
        <location filename="../../ui/conflict_dialog.py" line="81"/>
        <source>Take theirs</source>
        <translation>采用他人的</translation>
    </message>
    <message>
        <location filename="../../ui/conflict_dialog.py" line="83"/>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../../ui/conflict_dialog.py" line="137"/>
        <source>No conflicts are waiting.</source>
        <translation>没有待处理的冲突。</translation>
    </message>
    <message>
        <location filename="../../ui/conflict_dialog.py" line="143"/>
        <source>{customer}: {table}, field “{field}” was changed by someone else too.</source>
        <translation>{customer}：{table}的“{field}”也被他人修改了。</translation>
    </message>
    <message>
        <location filename="../../ui/conflict_dialog.py" line="152"/>
        <source>(known after the next sync)</source>
        <translation>（下次同步后显示）</translation>
    </message>
    <message>
        <location filename="../../ui/conflict_dialog.py" line="166"/>
        <source>Sending your choice…</source>
        <translation>正在提交您的选择…</translation>
    </message>
    <message>
        <location filename="../../ui/conflict_dialog.py" line="181"/>
        <source>Not settled: {reason}</source>
        <translation>未能处理：{reason}</translation>
    </message>
</context>
<context>
    <name>ContactDetailsDialog</name>
    <message>
        <location filename="../../ui/contact_dialog.py" line="40"/>
        <source>Contact details of {name}</source>
        <translation>{name}的联系方式</translation>
    </message>
    <message>
        <location filename="../../ui/contact_dialog.py" line="50"/>
        <location filename="../../ui/contact_dialog.py" line="56"/>
        <source>Notes</source>
        <translation>备注</translation>
    </message>
    <message>
        <location filename="../../ui/contact_dialog.py" line="51"/>
        <source>Mobile</source>
        <translation>手机</translation>
    </message>
    <message>
        <location filename="../../ui/contact_dialog.py" line="52"/>
        <source>Other phone</source>
        <translation>其他电话</translation>
    </message>
    <message>
        <location filename="../../ui/contact_dialog.py" line="53"/>
        <source>Email</source>
        <translation>电子邮箱</translation>
    </message>
    <message>
        <location filename="../../ui/contact_dialog.py" line="54"/>
        <source>Address</source>
        <translation>联系地址</translation>
    </message>
    <message>
        <location filename="../../ui/contact_dialog.py" line="55"/>
        <source>Occupation</source>
        <translation>职业</translation>
    </message>
    <message>
        <location filename="../../ui/contact_dialog.py" line="72"/>
        <source>{number} (type a new number to replace it)</source>
        <translation>{number}（输入新号码即可替换）</translation>
    </message>
    <message>
        <location filename="../../ui/contact_dialog.py" line="74"/>
        <source>not recorded</source>
        <translation>未登记</translation>
    </message>
    <message>
        <location filename="../../ui/contact_dialog.py" line="76"/>
        <source>Remove</source>
        <translation>删除</translation>
    </message>
</context>
<context>
    <name>ContactDialog</name>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="233"/>
        <source>Log a contact with {name}</source>
        <translation>记录与{name}的联系</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="237"/>
        <source>Phone</source>
        <translation>电话</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="238"/>
        <source>WeChat</source>
        <translation>微信</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="239"/>
        <source>Text message</source>
        <translation>短信</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="240"/>
        <source>Email</source>
        <translation>邮件</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="241"/>
        <source>At the branch</source>
        <translation>网点面谈</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="242"/>
        <source>Visit</source>
        <translation>拜访</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="256"/>
        <source> min</source>
        <translation> 分钟</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="257"/>
        <source>not recorded</source>
        <translation>未记录</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="258"/>
        <source>A call was made</source>
        <translation>已拨打电话</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="268"/>
        <source>e.g. Called about the maturing deposit</source>
        <translation>例如：电话沟通定期存款到期续作</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="270"/>
        <source>What was said, what the customer wants, what is next</source>
        <translation>沟通内容、客户诉求、下一步安排</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="272"/>
        <source>Channel</source>
        <translation>联系方式</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="273"/>
        <source>When (Beijing time)</source>
        <translation>联系时间（北京时间）</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="274"/>
        <source>Duration</source>
        <translation>时长</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="276"/>
        <source>Summary</source>
        <translation>联系概要</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="277"/>
        <source>Content</source>
        <translation>联系内容</translation>
    </message>
</context>
<context>
    <name>Customer360View</name>
    <message>
        <location filename="../../ui/customer360/view.py" line="170"/>
        <source>Log contact</source>
        <translation>记录联系</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/view.py" line="173"/>
        <source>New need</source>
        <translation>新增需求</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/view.py" line="177"/>
        <source>New opportunity</source>
        <translation>新增商机</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/view.py" line="182"/>
        <source>Brief…</source>
        <translation>客户简报…</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/view.py" line="185"/>
        <source>Proposal…</source>
        <translation>产品方案…</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/view.py" line="199"/>
        <source>Try again</source>
        <translation>重试</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/view.py" line="334"/>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/view.py" line="348"/>
        <source>Loading…</source>
        <translation>正在加载…</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/view.py" line="420"/>
        <source>This customer could not be read.</source>
        <translation>无法读取该客户的资料。</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/view.py" line="465"/>
        <source>the full ID number</source>
        <translation>完整证件号码</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/view.py" line="466"/>
        <source>the full credit code</source>
        <translation>完整统一社会信用代码</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/view.py" line="467"/>
        <source>the full mobile number</source>
        <translation>完整手机号码</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/view.py" line="468"/>
        <source>the full phone number</source>
        <translation>完整电话号码</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/view.py" line="472"/>
        <source>Show a customer&apos;s identifier</source>
        <translation>显示客户敏感信息</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/view.py" line="474"/>
        <source>Show {what} of {name}? Your login, the time and the customer are recorded in the audit log and sent to the central CRM.</source>
        <translation>确定要显示{name}的{what}吗？您的登录名、查看时间和客户将记入审计日志，并上报中心CRM。</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/view.py" line="625"/>
        <source>Client brief: {name}</source>
        <translation>客户简报：{name}</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/view.py" line="651"/>
        <source>Proposal: {title}</source>
        <translation>产品方案：{title}</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/view.py" line="666"/>
        <source>Record that the customer accepted “{title}”? An opportunity is opened.</source>
        <translation>记录客户已接受“{title}”？将同时建立一个销售机会。</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/view.py" line="668"/>
        <source>Record that the customer declined “{title}”?</source>
        <translation>记录客户谢绝了“{title}”？</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/view.py" line="670"/>
        <source>Proposal</source>
        <translation>产品方案</translation>
    </message>
</context>
<context>
    <name>CustomerListView</name>
    <message>
        <location filename="../../ui/customer_list.py" line="82"/>
        <source>Search: name, pinyin, initials (zsf), phone or ID tail, customer no.</source>
        <translation>搜索：姓名、拼音、拼音首字母（zsf）、手机或证件尾号、客户号</translation>
    </message>
    <message>
        <location filename="../../ui/customer_list.py" line="84"/>
        <source>All tiers</source>
        <translation>全部等级</translation>
    </message>
    <message>
        <location filename="../../ui/customer_list.py" line="85"/>
        <source>All statuses</source>
        <translation>全部状态</translation>
    </message>
    <message>
        <location filename="../../ui/customer_list.py" line="86"/>
        <source>All life stages</source>
        <translation>全部人生阶段</translation>
    </message>
    <message>
        <location filename="../../ui/customer_list.py" line="87"/>
        <source>All branches</source>
        <translation>全部网点</translation>
    </message>
    <message>
        <location filename="../../ui/customer_list.py" line="272"/>
        <source>Counting…</source>
        <translation>正在统计…</translation>
    </message>
    <message>
        <location filename="../../ui/customer_list.py" line="274"/>
        <source>{n} matches</source>
        <translation>找到 {n} 位客户</translation>
    </message>
    <message>
        <location filename="../../ui/customer_list.py" line="276"/>
        <source>{n} customers match the filters</source>
        <translation>符合筛选条件的客户 {n} 位</translation>
    </message>
    <message>
        <location filename="../../ui/customer_list.py" line="278"/>
        <source>{n} customers in my book</source>
        <translation>我的客户共 {n} 位</translation>
    </message>
</context>
<context>
    <name>CustomerTableModel</name>
    <message>
        <location filename="../../ui/customer_table.py" line="130"/>
        <source>Potential</source>
        <translation>潜在</translation>
    </message>
    <message>
        <location filename="../../ui/customer_table.py" line="131"/>
        <source>Active</source>
        <translation>活跃</translation>
    </message>
    <message>
        <location filename="../../ui/customer_table.py" line="132"/>
        <source>Dormant</source>
        <translation>沉寂</translation>
    </message>
    <message>
        <location filename="../../ui/customer_table.py" line="133"/>
        <source>Lost</source>
        <translation>流失</translation>
    </message>
    <message>
        <location filename="../../ui/customer_table.py" line="136"/>
        <source>Customer no.</source>
        <translation>客户号</translation>
    </message>
    <message>
        <location filename="../../ui/customer_table.py" line="137"/>
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <location filename="../../ui/customer_table.py" line="138"/>
        <source>Tier</source>
        <translation>客户等级</translation>
    </message>
    <message>
        <location filename="../../ui/customer_table.py" line="139"/>
        <source>AUM</source>
        <translation>资产规模</translation>
    </message>
    <message>
        <location filename="../../ui/customer_table.py" line="140"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../../ui/customer_table.py" line="141"/>
        <source>Life stage</source>
        <translation>人生阶段</translation>
    </message>
    <message>
        <location filename="../../ui/customer_table.py" line="142"/>
        <source>Mobile</source>
        <translation>手机</translation>
    </message>
    <message>
        <location filename="../../ui/customer_table.py" line="143"/>
        <source>ID number</source>
        <translation>证件号码</translation>
    </message>
</context>
<context>
    <name>DayList</name>
    <message>
        <location filename="../../ui/week_calendar.py" line="160"/>
        <source>No visits</source>
        <translation>无拜访</translation>
    </message>
</context>
<context>
    <name>DocumentFlow</name>
    <message>
        <location filename="../../ui/printing.py" line="259"/>
        <source>Saved {pages} page(s) to {path}</source>
        <translation>已保存 {pages} 页到 {path}</translation>
    </message>
    <message>
        <location filename="../../ui/printing.py" line="306"/>
        <source>Sent {pages} page(s) to {printer}</source>
        <translation>已发送 {pages} 页到 {printer}</translation>
    </message>
</context>
<context>
    <name>ErrorDialog</name>
    <message>
        <location filename="../../ui/error_dialog.py" line="17"/>
        <source>Something unexpected went wrong: {error}</source>
        <translation>发生了意外错误：{error}</translation>
    </message>
    <message>
        <location filename="../../ui/error_dialog.py" line="25"/>
        <source>RM Workbench</source>
        <translation>客户经理工作台</translation>
    </message>
    <message>
        <location filename="../../ui/error_dialog.py" line="29"/>
        <source>Copy details</source>
        <translation>复制详细信息</translation>
    </message>
</context>
<context>
    <name>HoldingsModel</name>
    <message>
        <location filename="../../ui/customer360_model.py" line="51"/>
        <source>Product</source>
        <translation>产品</translation>
    </message>
    <message>
        <location filename="../../ui/customer360_model.py" line="52"/>
        <source>Account</source>
        <translation>账户</translation>
    </message>
    <message>
        <location filename="../../ui/customer360_model.py" line="53"/>
        <source>Balance</source>
        <translation>余额</translation>
    </message>
    <message>
        <location filename="../../ui/customer360_model.py" line="54"/>
        <source>Matures on</source>
        <translation>到期日</translation>
    </message>
    <message>
        <location filename="../../ui/customer360_model.py" line="55"/>
        <source>Rate</source>
        <translation>利率</translation>
    </message>
    <message>
        <location filename="../../ui/customer360_model.py" line="76"/>
        <source>{label} ({n})</source>
        <translation>{label}（{n}笔）</translation>
    </message>
    <message>
        <location filename="../../ui/customer360_model.py" line="97"/>
        <source>ending {tail}</source>
        <translation>尾号{tail}</translation>
    </message>
</context>
<context>
    <name>HoldingsPanel</name>
    <message>
        <location filename="../../ui/customer360/holdings.py" line="17"/>
        <source>Holdings</source>
        <translation>持仓</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/holdings.py" line="40"/>
        <source>Assets {assets} · Liabilities {liabilities}</source>
        <translation>资产合计 {assets} · 负债合计 {liabilities}</translation>
    </message>
</context>
<context>
    <name>LoginDialog</name>
    <message>
        <location filename="../../ui/login_dialog.py" line="40"/>
        <source>Log in to the central CRM</source>
        <translation>登录总行系统</translation>
    </message>
    <message>
        <location filename="../../ui/login_dialog.py" line="58"/>
        <source>Central CRM address</source>
        <translation>总行系统地址</translation>
    </message>
    <message>
        <location filename="../../ui/login_dialog.py" line="59"/>
        <source>User name</source>
        <translation>用户名</translation>
    </message>
    <message>
        <location filename="../../ui/login_dialog.py" line="60"/>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <location filename="../../ui/login_dialog.py" line="65"/>
        <source>Log in</source>
        <translation>登录</translation>
    </message>
    <message>
        <location filename="../../ui/login_dialog.py" line="79"/>
        <source>Enter the central CRM address, starting with https://</source>
        <translation>请输入总行系统地址，以 https:// 开头</translation>
    </message>
    <message>
        <location filename="../../ui/login_dialog.py" line="87"/>
        <source>Enter your user name</source>
        <translation>请输入用户名</translation>
    </message>
    <message>
        <location filename="../../ui/login_dialog.py" line="89"/>
        <source>Enter your password</source>
        <translation>请输入密码</translation>
    </message>
    <message>
        <location filename="../../ui/login_dialog.py" line="120"/>
        <source>Login failed: {error}</source>
        <translation>登录失败：{error}</translation>
    </message>
    <message>
        <location filename="../../ui/login_dialog.py" line="129"/>
        <source>Unlock the local cache</source>
        <translation>解锁本地缓存</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../ui/main_window.py" line="62"/>
        <source>RM Workbench — {bank}</source>
        <translation>客户经理工作台 — {bank}</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="72"/>
        <location filename="../../ui/main_window.py" line="145"/>
        <source>Today</source>
        <translation>今日</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="73"/>
        <location filename="../../ui/main_window.py" line="147"/>
        <source>Customers</source>
        <translation>客户</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="74"/>
        <location filename="../../ui/main_window.py" line="150"/>
        <source>Visits</source>
        <translation>拜访日程</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="144"/>
        <source>&amp;Go</source>
        <translation>转到(&amp;G)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="154"/>
        <source>Find a customer</source>
        <translation>查找客户</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="161"/>
        <source>Close customer tab</source>
        <translation>关闭客户页</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="163"/>
        <source>&amp;Work</source>
        <translation>工作(&amp;W)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="165"/>
        <source>Plan a visit…</source>
        <translation>安排拜访…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="168"/>
        <source>Log a contact…</source>
        <translation>记录联系…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="170"/>
        <source>&amp;Documents</source>
        <translation>文档(&amp;D)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="172"/>
        <source>Print…</source>
        <translation>打印…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="173"/>
        <source>Tomorrow&apos;s briefs…</source>
        <translation>明日拜访简报…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="175"/>
        <source>Export visit schedule (iCalendar)…</source>
        <translation>导出拜访日程（iCalendar）…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="176"/>
        <source>Export customer list (Excel)…</source>
        <translation>导出客户名单（Excel）…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="182"/>
        <source>&amp;Sync</source>
        <translation>同步(&amp;S)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="183"/>
        <source>Sync now</source>
        <translation>立即同步</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="185"/>
        <source>Conflicts…</source>
        <translation>同步冲突…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="189"/>
        <source>Edits not accepted…</source>
        <translation>未被接受的修改…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="192"/>
        <source>Log in…</source>
        <translation>登录…</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="193"/>
        <source>Sign out</source>
        <translation>退出登录</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="350"/>
        <source>Signed out. Edits not yet synced stay on this computer; the next sync asks for your password.</source>
        <translation>已退出登录。尚未同步的修改仍保留在本机；下次同步时需要重新输入密码。</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="355"/>
        <source>Signed out on this computer, but the central CRM could not be reached: the old login stays valid there until it expires.</source>
        <translation>已在本机退出登录，但无法连接总行系统：原登录令牌在总行系统中到期前仍然有效。</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="215"/>
        <source>Log a contact</source>
        <translation>记录联系</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="216"/>
        <source>Open a customer first (Ctrl+2, then Enter on a customer).</source>
        <translation>请先打开一位客户（Ctrl+2，选中客户后按回车）。</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="232"/>
        <source>Print</source>
        <translation>打印</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="234"/>
        <source>Open a customer to print a brief, or select a visit in Visits to print its brief or report.</source>
        <translation>请先打开一位客户以打印客户简报，或在“拜访”中选中一次拜访，打印简报或拜访报告。</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="249"/>
        <source>Export visit schedule</source>
        <translation>导出拜访日程</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="251"/>
        <source>iCalendar (*.ics)</source>
        <translation>iCalendar 日历文件 (*.ics)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="265"/>
        <source>Export customer list</source>
        <translation>导出客户名单</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="267"/>
        <source>Excel workbook (*.xlsx)</source>
        <translation>Excel 工作簿 (*.xlsx)</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="279"/>
        <source>Exported {count} record(s) to {path}</source>
        <translation>已导出 {count} 条记录到 {path}</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="388"/>
        <source>Reassigned: {what}</source>
        <translation>已移交：{what}</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="389"/>
        <source>Handed over: {what}</source>
        <translation>已转交：{what}</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="390"/>
        <source>Not accepted: {what}</source>
        <translation>未被接受：{what}</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="395"/>
        <source>Edits not accepted are kept with your values in Sync → Edits not accepted (Ctrl+Shift+J): correct and send them again, or discard them.</source>
        <translation>未被接受的修改连同您填写的内容保存在“同步 → 未被接受的修改”（Ctrl+Shift+J）中：可修改后重新提交，或放弃。</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="403"/>
        <source>Customers reassigned to another RM were removed from this computer; your edits to them were sent to the central CRM and handed to the new RM, none was lost.</source>
        <translation>已移交给其他客户经理的客户已从本机移除；您对这些客户的修改已上传总行并转交新的客户经理，没有丢失。</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="408"/>
        <source>Sync</source>
        <translation>同步</translation>
    </message>
    <message>
        <location filename="../../ui/main_window.py" line="411"/>
        <source>{n} conflicts need your choice</source>
        <translation>有 {n} 处冲突需要您选择</translation>
    </message>
</context>
<context>
    <name>MembersModel</name>
    <message>
        <location filename="../../ui/customer360_model.py" line="131"/>
        <source>Name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <location filename="../../ui/customer360_model.py" line="132"/>
        <source>Role</source>
        <translation>关系</translation>
    </message>
    <message>
        <location filename="../../ui/customer360_model.py" line="133"/>
        <source>Tier</source>
        <translation>等级</translation>
    </message>
    <message>
        <location filename="../../ui/customer360_model.py" line="134"/>
        <source>Household / group</source>
        <translation>家庭 / 集团</translation>
    </message>
    <message>
        <location filename="../../ui/customer360_model.py" line="135"/>
        <source>Customer no.</source>
        <translation>客户号</translation>
    </message>
    <message>
        <location filename="../../ui/customer360_model.py" line="153"/>
        <source>{name} (this customer)</source>
        <translation>{name}（本人）</translation>
    </message>
    <message>
        <location filename="../../ui/customer360_model.py" line="161"/>
        <source>Double-click or Enter opens {name}</source>
        <translation>双击或按回车打开{name}</translation>
    </message>
</context>
<context>
    <name>MembersPanel</name>
    <message>
        <location filename="../../ui/customer360/members.py" line="18"/>
        <source>Household and group members</source>
        <translation>家庭与集团成员</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/members.py" line="22"/>
        <source>Not in any household or group.</source>
        <translation>未加入任何家庭或集团。</translation>
    </message>
</context>
<context>
    <name>NeedDialog</name>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="322"/>
        <source>New need of {name}</source>
        <translation>新增{name}的客户需求</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="324"/>
        <source>Edit need {number}</source>
        <translation>编辑客户需求 {number}</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="328"/>
        <source>Children&apos;s education</source>
        <translation>子女教育</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="329"/>
        <source>Housing</source>
        <translation>住房</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="330"/>
        <source>Car</source>
        <translation>购车</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="331"/>
        <source>Retirement planning</source>
        <translation>养老规划</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="332"/>
        <source>Insurance cover</source>
        <translation>保险保障</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="333"/>
        <source>Investment</source>
        <translation>投资理财</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="334"/>
        <source>Wealth transfer</source>
        <translation>财富传承</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="335"/>
        <source>Financing</source>
        <translation>融资</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="336"/>
        <source>Settlement</source>
        <translation>结算</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="337"/>
        <source>Other</source>
        <translation>其他</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="343"/>
        <source>e.g. Funds for a child&apos;s study abroad</source>
        <translation>例如：子女出国留学资金</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="345"/>
        <source>Details</source>
        <translation>需求详情</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="351"/>
        <source>Resolve by</source>
        <translation>计划解决日期</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="359"/>
        <source>Category</source>
        <translation>需求类别</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="360"/>
        <source>Summary</source>
        <translation>需求概要</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="361"/>
        <source>Content</source>
        <translation>需求内容</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="362"/>
        <source>Since</source>
        <translation>开始日期</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="363"/>
        <source>Due date</source>
        <translation>截止日期</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="364"/>
        <source>Severity</source>
        <translation>严重程度</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="365"/>
        <source>Urgency</source>
        <translation>紧急程度</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="372"/>
        <source>To follow up</source>
        <translation>待跟进</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="373"/>
        <source>In progress</source>
        <translation>跟进中</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="374"/>
        <source>Met</source>
        <translation>已满足</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="375"/>
        <source>Closed</source>
        <translation>已关闭</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="381"/>
        <source>Status</source>
        <translation>需求状态</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="382"/>
        <source>Status note</source>
        <translation>状态说明</translation>
    </message>
</context>
<context>
    <name>NeedsModel</name>
    <message>
        <location filename="../../ui/customer360_model.py" line="250"/>
        <source>Category</source>
        <translation>类别</translation>
    </message>
    <message>
        <location filename="../../ui/customer360_model.py" line="251"/>
        <source>Summary</source>
        <translation>概要</translation>
    </message>
    <message>
        <location filename="../../ui/customer360_model.py" line="252"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../../ui/customer360_model.py" line="253"/>
        <source>Urgency</source>
        <translation>紧急程度</translation>
    </message>
    <message>
        <location filename="../../ui/customer360_model.py" line="254"/>
        <source>Since</source>
        <translation>开始日期</translation>
    </message>
    <message>
        <location filename="../../ui/customer360_model.py" line="255"/>
        <source>Due</source>
        <translation>截止日期</translation>
    </message>
</context>
<context>
    <name>OpportunitiesModel</name>
    <message>
        <location filename="../../ui/customer360_model.py" line="296"/>
        <source>Summary</source>
        <translation>概要</translation>
    </message>
    <message>
        <location filename="../../ui/customer360_model.py" line="297"/>
        <source>Stage</source>
        <translation>销售阶段</translation>
    </message>
    <message>
        <location filename="../../ui/customer360_model.py" line="298"/>
        <source>Probability</source>
        <translation>成功概率</translation>
    </message>
    <message>
        <location filename="../../ui/customer360_model.py" line="299"/>
        <source>Expected value</source>
        <translation>预期金额</translation>
    </message>
    <message>
        <location filename="../../ui/customer360_model.py" line="300"/>
        <source>Product</source>
        <translation>关联产品</translation>
    </message>
    <message>
        <location filename="../../ui/customer360_model.py" line="301"/>
        <source>Expected close</source>
        <translation>预计结束</translation>
    </message>
</context>
<context>
    <name>OpportunityDialog</name>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="481"/>
        <source>New opportunity with {name}</source>
        <translation>新增{name}的商机</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="484"/>
        <source>Edit opportunity {number}</source>
        <translation>编辑商机 {number}</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="488"/>
        <source>e.g. Re-invest the maturing deposit</source>
        <translation>例如：到期资金再配置</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="490"/>
        <source>Details</source>
        <translation>商机详情</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="495"/>
        <source>Lead</source>
        <translation>线索</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="496"/>
        <source>Qualified</source>
        <translation>已确认</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="497"/>
        <source>Proposal</source>
        <translation>方案</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="498"/>
        <source>Negotiation</source>
        <translation>商谈</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="499"/>
        <source>Won</source>
        <translation>已成交</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="500"/>
        <source>Lost</source>
        <translation>已丢单</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="513"/>
        <source>in yuan, e.g. 500000</source>
        <translation>单位：元，例如 500000</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="525"/>
        <source>e.g. cross-selling, renewal at maturity</source>
        <translation>例如：交叉销售、到期续作</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="530"/>
        <source>Expected by</source>
        <translation>预计日期</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="535"/>
        <location filename="../../ui/activity_dialogs.py" line="546"/>
        <source>(none)</source>
        <translation>（无）</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="554"/>
        <source>Summary</source>
        <translation>商机概要</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="555"/>
        <source>Content</source>
        <translation>商机内容</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="556"/>
        <source>Stage</source>
        <translation>销售阶段</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="557"/>
        <source>Probability</source>
        <translation>成功概率</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="558"/>
        <source>Expected value (yuan)</source>
        <translation>预期金额（元）</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="559"/>
        <source>Sales method</source>
        <translation>销售方式</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="560"/>
        <source>Since</source>
        <translation>开始日期</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="561"/>
        <source>Expected close</source>
        <translation>预计结束日期</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="562"/>
        <source>Linked need</source>
        <translation>关联需求</translation>
    </message>
    <message>
        <location filename="../../ui/activity_dialogs.py" line="563"/>
        <source>Linked product</source>
        <translation>关联产品</translation>
    </message>
</context>
<context>
    <name>PlanVisitDialog</name>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="188"/>
        <source>Plan a visit</source>
        <translation>计划拜访</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="195"/>
        <source>Name, pinyin initials (zsf), phone tail or customer no.</source>
        <translation>姓名、拼音首字母（zsf）、手机尾号或客户号</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="200"/>
        <source>No customer chosen yet</source>
        <translation>尚未选择客户</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="216"/>
        <source>{minutes} minutes</source>
        <translation>{minutes} 分钟</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="224"/>
        <source>Portfolio review</source>
        <translation>资产配置回顾</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="225"/>
        <source>Maturing funds: what next</source>
        <translation>到期资金续作沟通</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="226"/>
        <source>Introduce a new product</source>
        <translation>新产品推介</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="227"/>
        <source>Service follow-up</source>
        <translation>售后回访</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="228"/>
        <source>Birthday greetings</source>
        <translation>生日问候</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="229"/>
        <source>Financing needs</source>
        <translation>融资需求了解</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="231"/>
        <source>What the visit is for</source>
        <translation>拜访的目的</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="242"/>
        <source>Branch, customer&apos;s home or office…</source>
        <translation>网点、客户家中或单位…</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="250"/>
        <source>Save the plan</source>
        <translation>保存计划</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="250"/>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="263"/>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="266"/>
        <source>When</source>
        <translation>时间</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="267"/>
        <source>Purpose</source>
        <translation>拜访目的</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="268"/>
        <source>Type</source>
        <translation>拜访方式</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="269"/>
        <source>Place</source>
        <translation>地点</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="270"/>
        <source>Priority</source>
        <translation>优先级</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="335"/>
        <source>No customer in your book matches</source>
        <translation>您的客户名单中没有匹配的客户</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="351"/>
        <source>Visit for: {name}  {details}</source>
        <translation>拜访客户：{name}  {details}</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="416"/>
        <source>Choose the customer first: type a name, pinyin initials or phone tail.</source>
        <translation>请先选择客户：输入姓名、拼音首字母或手机尾号。</translation>
    </message>
</context>
<context>
    <name>PortfolioChart</name>
    <message>
        <location filename="../../ui/portfolio_chart.py" line="97"/>
        <source>No assets held</source>
        <translation>暂无资产持仓</translation>
    </message>
    <message>
        <location filename="../../ui/portfolio_chart.py" line="121"/>
        <source>Assets</source>
        <translation>资产合计</translation>
    </message>
    <message>
        <location filename="../../ui/portfolio_chart.py" line="166"/>
        <source>Liabilities (not in the ring)</source>
        <translation>负债（不计入圆环）</translation>
    </message>
</context>
<context>
    <name>PrintOptionsDialog</name>
    <message>
        <location filename="../../ui/printing.py" line="132"/>
        <source>Show full ID numbers and phone numbers</source>
        <translation>显示完整证件号码和电话号码</translation>
    </message>
    <message>
        <location filename="../../ui/printing.py" line="136"/>
        <source>Identifiers are masked on paper. Showing them in full is recorded in the audit log, like every print and every saved PDF.</source>
        <translation>打印件上的证件号码和电话默认遮蔽。显示完整号码会记入审计日志，每次打印和保存 PDF 也都会记录。</translation>
    </message>
    <message>
        <location filename="../../ui/printing.py" line="143"/>
        <source>Print…</source>
        <translation>打印…</translation>
    </message>
    <message>
        <location filename="../../ui/printing.py" line="147"/>
        <source>Save as PDF…</source>
        <translation>另存为 PDF…</translation>
    </message>
</context>
<context>
    <name>ProfilePanel</name>
    <message>
        <location filename="../../ui/customer360/profile.py" line="57"/>
        <source>Profile</source>
        <translation>客户资料</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/profile.py" line="62"/>
        <location filename="../../ui/customer360/profile.py" line="134"/>
        <source>ID number</source>
        <translation>证件号码</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/profile.py" line="66"/>
        <source>Mobile</source>
        <translation>手机号码</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/profile.py" line="67"/>
        <source>Other phone</source>
        <translation>其他电话</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/profile.py" line="72"/>
        <source>Gender, age</source>
        <translation>性别、年龄</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/profile.py" line="73"/>
        <source>Birth date</source>
        <translation>出生日期</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/profile.py" line="74"/>
        <source>Life stage</source>
        <translation>生命阶段</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/profile.py" line="75"/>
        <source>Marital status</source>
        <translation>婚姻状况</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/profile.py" line="76"/>
        <source>Children</source>
        <translation>子女数</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/profile.py" line="77"/>
        <source>Education</source>
        <translation>学历</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/profile.py" line="78"/>
        <source>Occupation</source>
        <translation>职业</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/profile.py" line="79"/>
        <source>Employer</source>
        <translation>工作单位</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/profile.py" line="80"/>
        <source>Income</source>
        <translation>收入</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/profile.py" line="81"/>
        <source>Risk tolerance</source>
        <translation>风险承受能力</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/profile.py" line="82"/>
        <source>Address</source>
        <translation>联系地址</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/profile.py" line="83"/>
        <source>Email</source>
        <translation>电子邮箱</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/profile.py" line="84"/>
        <source>AUM</source>
        <translation>资产管理规模</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/profile.py" line="85"/>
        <source>Contribution</source>
        <translation>综合贡献</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/profile.py" line="86"/>
        <source>Customer since</source>
        <translation>建立关系日期</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/profile.py" line="87"/>
        <source>Last transaction</source>
        <translation>最近交易日期</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/profile.py" line="88"/>
        <source>Relationship manager</source>
        <translation>客户经理</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/profile.py" line="89"/>
        <source>Branch</source>
        <translation>所属网点</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/profile.py" line="90"/>
        <source>Notes</source>
        <translation>备注</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/profile.py" line="100"/>
        <source>Edit contact details…</source>
        <translation>修改联系方式…</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/profile.py" line="123"/>
        <location filename="../../ui/customer360/profile.py" line="146"/>
        <source>Show</source>
        <translation>显示</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/profile.py" line="125"/>
        <source>Show the full value (recorded in the audit log)</source>
        <translation>显示完整内容（将记入审计日志）</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/profile.py" line="142"/>
        <source>not recorded</source>
        <translation>未登记</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/profile.py" line="146"/>
        <location filename="../../ui/customer360/profile.py" line="193"/>
        <source>Shown</source>
        <translation>已显示</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/profile.py" line="152"/>
        <source>{level} (expired {date})</source>
        <translation>{level}（已于{date}过期）</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/profile.py" line="154"/>
        <source>{level} (valid until {date})</source>
        <translation>{level}（有效期至{date}）</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/profile.py" line="156"/>
        <source>{age} years</source>
        <translation>{age}岁</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/profile.py" line="184"/>
        <source>—</source>
        <translation>—</translation>
    </message>
</context>
<context>
    <name>ProposalDialog</name>
    <message>
        <location filename="../../ui/proposal_dialog.py" line="220"/>
        <source>Proposal for {name}</source>
        <translation>为 {name} 制定产品方案</translation>
    </message>
    <message>
        <location filename="../../ui/proposal_dialog.py" line="221"/>
        <source>Record proposal</source>
        <translation>记录方案</translation>
    </message>
    <message>
        <location filename="../../ui/proposal_dialog.py" line="227"/>
        <source>Title</source>
        <translation>方案名称</translation>
    </message>
    <message>
        <location filename="../../ui/proposal_dialog.py" line="229"/>
        <source>Reading what fits this customer…</source>
        <translation>正在分析适合该客户的产品…</translation>
    </message>
    <message>
        <location filename="../../ui/proposal_dialog.py" line="249"/>
        <source>Add product</source>
        <translation>添加产品</translation>
    </message>
    <message>
        <location filename="../../ui/proposal_dialog.py" line="262"/>
        <source>Bundles that fit (best first)</source>
        <translation>适合的套餐（按匹配度排序）</translation>
    </message>
    <message>
        <location filename="../../ui/proposal_dialog.py" line="267"/>
        <source>Products in this proposal (untick to leave one out; amounts in 10k yuan)</source>
        <translation>方案中的产品（取消勾选即不纳入；金额单位：万元）</translation>
    </message>
    <message>
        <location filename="../../ui/proposal_dialog.py" line="298"/>
        <source>Not proposed: {list}</source>
        <translation>不予推荐：{list}</translation>
    </message>
    <message>
        <location filename="../../ui/proposal_dialog.py" line="303"/>
        <source>{n} bundle(s) fit this customer.</source>
        <translation>有 {n} 个套餐适合该客户。</translation>
    </message>
    <message>
        <location filename="../../ui/proposal_dialog.py" line="308"/>
        <source>No bundle fits this customer; add single products below.</source>
        <translation>没有适合该客户的套餐，可在下方添加单个产品。</translation>
    </message>
    <message>
        <location filename="../../ui/proposal_dialog.py" line="329"/>
        <source>{product} is in the proposal already.</source>
        <translation>{product} 已在方案中。</translation>
    </message>
    <message>
        <location filename="../../ui/proposal_dialog.py" line="364"/>
        <source>The recommendation could not be read.</source>
        <translation>无法读取产品推荐。</translation>
    </message>
</context>
<context>
    <name>ProposalItemsModel</name>
    <message>
        <location filename="../../ui/proposal_dialog.py" line="121"/>
        <source>Product</source>
        <translation>产品</translation>
    </message>
    <message>
        <location filename="../../ui/proposal_dialog.py" line="122"/>
        <source>Risk</source>
        <translation>风险等级</translation>
    </message>
    <message>
        <location filename="../../ui/proposal_dialog.py" line="123"/>
        <source>Rate / fee</source>
        <translation>利率 / 费率</translation>
    </message>
    <message>
        <location filename="../../ui/proposal_dialog.py" line="124"/>
        <source>Amount (10k yuan)</source>
        <translation>金额（万元）</translation>
    </message>
    <message>
        <location filename="../../ui/proposal_dialog.py" line="125"/>
        <source>Why</source>
        <translation>推荐理由</translation>
    </message>
    <message>
        <location filename="../../ui/proposal_dialog.py" line="162"/>
        <source>none</source>
        <translation>无</translation>
    </message>
</context>
<context>
    <name>ProposalsModel</name>
    <message>
        <location filename="../../ui/proposal_dialog.py" line="384"/>
        <source>Proposal</source>
        <translation>方案</translation>
    </message>
    <message>
        <location filename="../../ui/proposal_dialog.py" line="385"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../../ui/proposal_dialog.py" line="386"/>
        <source>Made on</source>
        <translation>制定日期</translation>
    </message>
    <message>
        <location filename="../../ui/proposal_dialog.py" line="387"/>
        <source>Valid until</source>
        <translation>有效期至</translation>
    </message>
    <message>
        <location filename="../../ui/proposal_dialog.py" line="388"/>
        <source>Total</source>
        <translation>合计金额</translation>
    </message>
</context>
<context>
    <name>ProposalsPage</name>
    <message>
        <location filename="../../ui/customer360/proposals.py" line="20"/>
        <source>Accepted</source>
        <translation>客户接受</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/proposals.py" line="23"/>
        <source>The customer accepted: record it and open an opportunity</source>
        <translation>客户已接受：记录下来并建立销售机会</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/proposals.py" line="25"/>
        <source>Declined</source>
        <translation>客户谢绝</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/proposals.py" line="27"/>
        <source>Print…</source>
        <translation>打印…</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/proposals.py" line="29"/>
        <source>New proposal…</source>
        <translation>新建方案…</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/proposals.py" line="30"/>
        <source>No proposal recorded yet.</source>
        <translation>还没有记录过产品方案。</translation>
    </message>
</context>
<context>
    <name>RejectedDialog</name>
    <message>
        <location filename="../../ui/rejected_dialog.py" line="59"/>
        <source>Edits not accepted</source>
        <translation>未被接受的修改</translation>
    </message>
    <message>
        <location filename="../../ui/rejected_dialog.py" line="90"/>
        <source>Correct and send again</source>
        <translation>修改后重新提交</translation>
    </message>
    <message>
        <location filename="../../ui/rejected_dialog.py" line="94"/>
        <source>Discard</source>
        <translation>放弃</translation>
    </message>
    <message>
        <location filename="../../ui/rejected_dialog.py" line="97"/>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../../ui/rejected_dialog.py" line="155"/>
        <source>No edits are waiting here.</source>
        <translation>没有未被接受的修改。</translation>
    </message>
    <message>
        <location filename="../../ui/rejected_dialog.py" line="162"/>
        <source>{customer}: {op} {table}, refused by the central CRM on {when}.</source>
        <translation>{customer}：{op}{table}，总行系统于 {when} 未接受。</translation>
    </message>
    <message>
        <location filename="../../ui/rejected_dialog.py" line="169"/>
        <source>Reason: {reason}</source>
        <translation>原因：{reason}</translation>
    </message>
    <message>
        <location filename="../../ui/rejected_dialog.py" line="175"/>
        <source>This record is no longer on this computer (it was deleted in the central CRM, or its customer was handed over): it cannot be sent again, only discarded.</source>
        <translation>这条记录已不在本机（已在总行系统中删除，或客户已移交），无法重新提交，只能放弃。</translation>
    </message>
    <message>
        <location filename="../../ui/rejected_dialog.py" line="206"/>
        <source>Sent again</source>
        <translation>已重新提交，下次同步时上传。</translation>
    </message>
    <message>
        <location filename="../../ui/rejected_dialog.py" line="212"/>
        <source>Discarded</source>
        <translation>已放弃该修改。</translation>
    </message>
    <message>
        <location filename="../../ui/rejected_dialog.py" line="218"/>
        <source>Discard this edit?</source>
        <translation>放弃这条修改？</translation>
    </message>
    <message>
        <location filename="../../ui/rejected_dialog.py" line="220"/>
        <source>What you wrote in this edit will be lost; the record stays as the central CRM holds it.</source>
        <translation>您在这条修改中填写的内容将不再保留，记录以总行系统中的为准。</translation>
    </message>
    <message>
        <location filename="../../ui/rejected_dialog.py" line="240"/>
        <source>Not done: {reason}</source>
        <translation>未能完成：{reason}</translation>
    </message>
</context>
<context>
    <name>RescheduleDialog</name>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="730"/>
        <source>Reschedule the visit — {name}</source>
        <translation>拜访改期 — {name}</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="747"/>
        <source>Move the visit</source>
        <translation>确认改期</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="747"/>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="759"/>
        <source>Now planned</source>
        <translation>原定时间</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="760"/>
        <source>Move to</source>
        <translation>改到</translation>
    </message>
</context>
<context>
    <name>RunVisitDialog</name>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="469"/>
        <source>Record the visit — {name}</source>
        <translation>记录拜访 — {name}</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="487"/>
        <source>Who took part (customer&apos;s side and ours)</source>
        <translation>参加人员（客户方和我行）</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="491"/>
        <source>What was discussed, what the customer said, what was agreed…</source>
        <translation>谈了什么、客户的反馈、约定的事项…</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="497"/>
        <source>Customer interested</source>
        <translation>客户有意向</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="498"/>
        <source>Deal closed</source>
        <translation>已成交</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="499"/>
        <source>Needs another visit</source>
        <translation>需再次拜访</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="500"/>
        <source>No need at present</source>
        <translation>客户暂无需求</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="503"/>
        <source>Set a date</source>
        <translation>约定日期</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="514"/>
        <source>Yuan, e.g. 128.00 (optional)</source>
        <translation>单位：元，例如 128.00（可不填）</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="519"/>
        <source>Category</source>
        <translation>需求类别</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="519"/>
        <source>What the customer needs</source>
        <translation>需求概要</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="525"/>
        <source>Add a need</source>
        <translation>添加需求</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="527"/>
        <source>Remove</source>
        <translation>删除</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="535"/>
        <source>Filter products</source>
        <translation>筛选产品</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="542"/>
        <source>Save the record</source>
        <translation>保存记录</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="542"/>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="558"/>
        <source>Actual time</source>
        <translation>实际时间</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="559"/>
        <source>Attendees</source>
        <translation>参加人员</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="560"/>
        <source>Notes</source>
        <translation>拜访记录</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="561"/>
        <source>Outcome</source>
        <translation>拜访结果</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="562"/>
        <source>Next follow-up</source>
        <translation>下次跟进</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="563"/>
        <source>Cost</source>
        <translation>拜访费用</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="568"/>
        <source>Needs discovered</source>
        <translation>发现的需求</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="576"/>
        <source>Products discussed</source>
        <translation>洽谈的产品</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="609"/>
        <source>e.g. study-abroad funds for the daughter</source>
        <translation>例如：女儿出国留学资金</translation>
    </message>
</context>
<context>
    <name>SyncStatusBar</name>
    <message>
        <location filename="../../ui/status_bar.py" line="34"/>
        <source>Sync conflicts waiting for your choice (Ctrl+Shift+K)</source>
        <translation>等待您选择的同步冲突（Ctrl+Shift+K）</translation>
    </message>
    <message>
        <location filename="../../ui/status_bar.py" line="41"/>
        <source>Edits the central CRM did not accept (Ctrl+Shift+J)</source>
        <translation>总行系统未接受的修改（Ctrl+Shift+J）</translation>
    </message>
    <message>
        <location filename="../../ui/status_bar.py" line="54"/>
        <source>Sync now</source>
        <translation>立即同步</translation>
    </message>
    <message>
        <location filename="../../ui/status_bar.py" line="56"/>
        <source>Sync with the central CRM (F5)</source>
        <translation>与总行系统同步（F5）</translation>
    </message>
    <message>
        <location filename="../../ui/status_bar.py" line="85"/>
        <source>Online</source>
        <translation>在线</translation>
    </message>
    <message>
        <location filename="../../ui/status_bar.py" line="88"/>
        <source>Offline</source>
        <translation>离线</translation>
    </message>
    <message>
        <location filename="../../ui/status_bar.py" line="94"/>
        <location filename="../../ui/status_bar.py" line="103"/>
        <source>Last sync: never</source>
        <translation>上次同步：从未</translation>
    </message>
    <message>
        <location filename="../../ui/status_bar.py" line="101"/>
        <source>Last sync: {when}</source>
        <translation>上次同步：{when}</translation>
    </message>
    <message>
        <location filename="../../ui/status_bar.py" line="106"/>
        <source>{n} edits waiting to go out</source>
        <translation>{n} 条修改待上传</translation>
    </message>
    <message>
        <location filename="../../ui/status_bar.py" line="108"/>
        <source>{n} conflicts waiting</source>
        <translation>{n} 处冲突待处理</translation>
    </message>
    <message>
        <location filename="../../ui/status_bar.py" line="111"/>
        <source>{n} edits not accepted</source>
        <translation>{n} 条修改未被接受</translation>
    </message>
    <message>
        <location filename="../../ui/status_bar.py" line="119"/>
        <source>Syncing…</source>
        <translation>正在同步…</translation>
    </message>
    <message>
        <location filename="../../ui/status_bar.py" line="131"/>
        <source>Sending edits</source>
        <translation>正在上传修改</translation>
    </message>
    <message>
        <location filename="../../ui/status_bar.py" line="133"/>
        <source>Downloading the book</source>
        <translation>正在下载客户数据</translation>
    </message>
    <message>
        <location filename="../../ui/status_bar.py" line="135"/>
        <source>Receiving changes</source>
        <translation>正在接收变更</translation>
    </message>
    <message>
        <location filename="../../ui/status_bar.py" line="137"/>
        <source>Checking</source>
        <translation>正在校验</translation>
    </message>
    <message>
        <location filename="../../ui/status_bar.py" line="146"/>
        <source>Sync failed: see the message</source>
        <translation>同步未成功，请查看提示</translation>
    </message>
</context>
<context>
    <name>TimelineModel</name>
    <message>
        <location filename="../../ui/customer360_model.py" line="194"/>
        <source>When</source>
        <translation>时间</translation>
    </message>
    <message>
        <location filename="../../ui/customer360_model.py" line="195"/>
        <source>Type</source>
        <translation>类型</translation>
    </message>
    <message>
        <location filename="../../ui/customer360_model.py" line="196"/>
        <source>What</source>
        <translation>事项</translation>
    </message>
    <message>
        <location filename="../../ui/customer360_model.py" line="197"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../../ui/customer360_model.py" line="198"/>
        <source>Details</source>
        <translation>详情</translation>
    </message>
    <message>
        <location filename="../../ui/customer360_model.py" line="201"/>
        <source>Visit</source>
        <translation>拜访</translation>
    </message>
    <message>
        <location filename="../../ui/customer360_model.py" line="202"/>
        <source>Contact</source>
        <translation>联系</translation>
    </message>
    <message>
        <location filename="../../ui/customer360_model.py" line="203"/>
        <source>Need</source>
        <translation>需求</translation>
    </message>
    <message>
        <location filename="../../ui/customer360_model.py" line="204"/>
        <source>Opportunity</source>
        <translation>商机</translation>
    </message>
</context>
<context>
    <name>TodayItemModel</name>
    <message>
        <location filename="../../ui/today_model.py" line="37"/>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <location filename="../../ui/today_model.py" line="38"/>
        <source>Tier</source>
        <translation>等级</translation>
    </message>
    <message>
        <location filename="../../ui/today_model.py" line="39"/>
        <source>What</source>
        <translation>事项</translation>
    </message>
    <message>
        <location filename="../../ui/today_model.py" line="40"/>
        <source>Amount</source>
        <translation>金额</translation>
    </message>
    <message>
        <location filename="../../ui/today_model.py" line="41"/>
        <source>Why</source>
        <translation>原因</translation>
    </message>
</context>
<context>
    <name>TodayView</name>
    <message>
        <location filename="../../ui/today_view.py" line="190"/>
        <location filename="../../ui/today_view.py" line="223"/>
        <source>Loading…</source>
        <translation>正在加载…</translation>
    </message>
    <message>
        <location filename="../../ui/today_view.py" line="239"/>
        <source>{n} items today</source>
        <translation>今日共 {n} 项</translation>
    </message>
    <message>
        <location filename="../../ui/today_view.py" line="250"/>
        <source>Could not read today&apos;s work: {error}</source>
        <translation>无法读取今日工作：{error}</translation>
    </message>
    <message>
        <location filename="../../ui/today_view.py" line="254"/>
        <source>Could not be read.</source>
        <translation>无法读取。</translation>
    </message>
    <message>
        <location filename="../../ui/today_view.py" line="269"/>
        <source>Monday</source>
        <translation>星期一</translation>
    </message>
    <message>
        <location filename="../../ui/today_view.py" line="270"/>
        <source>Tuesday</source>
        <translation>星期二</translation>
    </message>
    <message>
        <location filename="../../ui/today_view.py" line="271"/>
        <source>Wednesday</source>
        <translation>星期三</translation>
    </message>
    <message>
        <location filename="../../ui/today_view.py" line="272"/>
        <source>Thursday</source>
        <translation>星期四</translation>
    </message>
    <message>
        <location filename="../../ui/today_view.py" line="273"/>
        <source>Friday</source>
        <translation>星期五</translation>
    </message>
    <message>
        <location filename="../../ui/today_view.py" line="274"/>
        <source>Saturday</source>
        <translation>星期六</translation>
    </message>
    <message>
        <location filename="../../ui/today_view.py" line="275"/>
        <source>Sunday</source>
        <translation>星期日</translation>
    </message>
    <message>
        <location filename="../../ui/today_view.py" line="278"/>
        <source>Today: {date}, {weekday}</source>
        <translation>今天：{date} {weekday}</translation>
    </message>
    <message>
        <location filename="../../ui/today_view.py" line="299"/>
        <source>Today&apos;s visits ({n})</source>
        <translation>今日拜访 ({n})</translation>
    </message>
    <message>
        <location filename="../../ui/today_view.py" line="300"/>
        <source>Overdue follow-ups ({n})</source>
        <translation>逾期跟进 ({n})</translation>
    </message>
    <message>
        <location filename="../../ui/today_view.py" line="301"/>
        <source>Maturing in the next 30 days ({n})</source>
        <translation>30天内到期 ({n})</translation>
    </message>
    <message>
        <location filename="../../ui/today_view.py" line="302"/>
        <source>Birthdays this week ({n})</source>
        <translation>本周生日 ({n})</translation>
    </message>
    <message>
        <location filename="../../ui/today_view.py" line="303"/>
        <source>Turning dormant ({n})</source>
        <translation>即将沉寂 ({n})</translation>
    </message>
    <message>
        <location filename="../../ui/today_view.py" line="304"/>
        <source>Visits due by tier cadence ({n})</source>
        <translation>按等级应拜访 ({n})</translation>
    </message>
    <message>
        <location filename="../../ui/today_view.py" line="310"/>
        <source>No visits planned for today.</source>
        <translation>今天没有安排拜访。</translation>
    </message>
    <message>
        <location filename="../../ui/today_view.py" line="312"/>
        <source>Nothing overdue: every follow-up, need and opportunity is on time.</source>
        <translation>没有逾期事项：跟进、需求和商机都按时进行。</translation>
    </message>
    <message>
        <location filename="../../ui/today_view.py" line="314"/>
        <source>No deposit or wealth product matures in the next 30 days.</source>
        <translation>未来30天内没有到期的存款或理财产品。</translation>
    </message>
    <message>
        <location filename="../../ui/today_view.py" line="315"/>
        <source>No customer has a birthday this week.</source>
        <translation>本周没有客户过生日。</translation>
    </message>
    <message>
        <location filename="../../ui/today_view.py" line="316"/>
        <source>No customer is about to turn dormant.</source>
        <translation>没有即将转为沉寂的客户。</translation>
    </message>
    <message>
        <location filename="../../ui/today_view.py" line="317"/>
        <source>Every customer with a visit cadence has been visited in time.</source>
        <translation>有拜访频率要求的客户都已按时拜访。</translation>
    </message>
</context>
<context>
    <name>VisitCardDelegate</name>
    <message>
        <location filename="../../ui/week_calendar.py" line="70"/>
        <source>To write up</source>
        <translation>待记录</translation>
    </message>
</context>
<context>
    <name>VisitDetailDialog</name>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="875"/>
        <source>Visit — {name}</source>
        <translation>拜访详情 — {name}</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="883"/>
        <source>Add to the notes (what was written stays)</source>
        <translation>追加拜访记录（已写的内容保留不变）</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="887"/>
        <source>Add to the notes</source>
        <translation>追加记录</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="887"/>
        <source>Close</source>
        <translation>关闭</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="894"/>
        <source>Notes</source>
        <translation>拜访记录</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="923"/>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="924"/>
        <source>Visit no.</source>
        <translation>拜访编号</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="925"/>
        <source>Actual time</source>
        <translation>实际时间</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="926"/>
        <source>Place</source>
        <translation>地点</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="927"/>
        <source>Attendees</source>
        <translation>参加人员</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="928"/>
        <source>Outcome</source>
        <translation>拜访结果</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="930"/>
        <source>Next follow-up</source>
        <translation>下次跟进</translation>
    </message>
    <message>
        <location filename="../../ui/visit_dialogs.py" line="933"/>
        <source>Cost</source>
        <translation>拜访费用</translation>
    </message>
</context>
<context>
    <name>VisitsView</name>
    <message>
        <location filename="../../ui/visits_view.py" line="89"/>
        <source>◀ Previous week</source>
        <translation>◀ 上一周</translation>
    </message>
    <message>
        <location filename="../../ui/visits_view.py" line="91"/>
        <source>This week</source>
        <translation>本周</translation>
    </message>
    <message>
        <location filename="../../ui/visits_view.py" line="92"/>
        <source>Next week ▶</source>
        <translation>下一周 ▶</translation>
    </message>
    <message>
        <location filename="../../ui/visits_view.py" line="100"/>
        <source>Plan a visit…</source>
        <translation>计划拜访…</translation>
    </message>
    <message>
        <location filename="../../ui/visits_view.py" line="102"/>
        <source>Record visit…</source>
        <translation>开始/记录拜访…</translation>
    </message>
    <message>
        <location filename="../../ui/visits_view.py" line="103"/>
        <source>Reschedule…</source>
        <translation>改期…</translation>
    </message>
    <message>
        <location filename="../../ui/visits_view.py" line="104"/>
        <source>Cancel visit…</source>
        <translation>取消拜访…</translation>
    </message>
    <message>
        <location filename="../../ui/visits_view.py" line="105"/>
        <source>Details</source>
        <translation>详情</translation>
    </message>
    <message>
        <location filename="../../ui/visits_view.py" line="107"/>
        <source>Open customer</source>
        <translation>打开客户</translation>
    </message>
    <message>
        <location filename="../../ui/visits_view.py" line="110"/>
        <source>Print…</source>
        <translation>打印…</translation>
    </message>
    <message>
        <location filename="../../ui/visits_view.py" line="112"/>
        <source>Briefs of the day…</source>
        <translation>当日拜访简报…</translation>
    </message>
    <message>
        <location filename="../../ui/visits_view.py" line="273"/>
        <source>Week {number}: {first} – {last}</source>
        <translation>第 {number} 周：{first} – {last}</translation>
    </message>
    <message>
        <location filename="../../ui/visits_view.py" line="313"/>
        <source>{day} {weekday}: {n} visits, {done} done</source>
        <translation>{day} {weekday}：{n} 个拜访，已完成 {done} 个</translation>
    </message>
    <message>
        <location filename="../../ui/visits_view.py" line="319"/>
        <source>{day} {weekday}: no visits</source>
        <translation>{day} {weekday}：没有拜访</translation>
    </message>
    <message>
        <location filename="../../ui/visits_view.py" line="396"/>
        <source>Print the visit report (Ctrl+P)</source>
        <translation>打印拜访报告 (Ctrl+P)</translation>
    </message>
    <message>
        <location filename="../../ui/visits_view.py" line="398"/>
        <source>Print the customer&apos;s brief for the visit (Ctrl+P)</source>
        <translation>打印本次拜访的客户简报 (Ctrl+P)</translation>
    </message>
    <message>
        <location filename="../../ui/visits_view.py" line="457"/>
        <source>Visit report: {customer}</source>
        <translation>拜访报告：{customer}</translation>
    </message>
    <message>
        <location filename="../../ui/visits_view.py" line="466"/>
        <source>Client brief: {name}</source>
        <translation>客户简报：{name}</translation>
    </message>
    <message>
        <location filename="../../ui/visits_view.py" line="478"/>
        <source>Briefs for the visits of {day}</source>
        <translation>{day} 的拜访简报</translation>
    </message>
</context>
<context>
    <name>WarningsPanel</name>
    <message>
        <location filename="../../ui/customer360/profile.py" line="207"/>
        <source>Data quality</source>
        <translation>数据质量提示</translation>
    </message>
    <message>
        <location filename="../../ui/customer360/profile.py" line="216"/>
        <source>No problem found in this record.</source>
        <translation>未发现资料问题。</translation>
    </message>
</context>
<context>
    <name>WeekCalendarView</name>
    <message>
        <location filename="../../ui/week_calendar.py" line="186"/>
        <source>Mon</source>
        <translation>周一</translation>
    </message>
    <message>
        <location filename="../../ui/week_calendar.py" line="187"/>
        <source>Tue</source>
        <translation>周二</translation>
    </message>
    <message>
        <location filename="../../ui/week_calendar.py" line="188"/>
        <source>Wed</source>
        <translation>周三</translation>
    </message>
    <message>
        <location filename="../../ui/week_calendar.py" line="189"/>
        <source>Thu</source>
        <translation>周四</translation>
    </message>
    <message>
        <location filename="../../ui/week_calendar.py" line="190"/>
        <source>Fri</source>
        <translation>周五</translation>
    </message>
    <message>
        <location filename="../../ui/week_calendar.py" line="191"/>
        <source>Sat</source>
        <translation>周六</translation>
    </message>
    <message>
        <location filename="../../ui/week_calendar.py" line="192"/>
        <source>Sun</source>
        <translation>周日</translation>
    </message>
</context>
</TS>
