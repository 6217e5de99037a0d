"""Countries, their peoples and world bodies, in English and Spanish.

A question about a place the entry does not know ("Cuba", "Nicaraguan", "the UN") must not
get this story's figure, however well the rest of it matches. The list is deliberately broad:
a place the base does know (Venezuela, the United States, the Caribbean) is simply found in
the base's own text and is then allowed.
"""

from __future__ import annotations

PLACES = """
afghanistan afghan albania albanian algeria algerian andorra angola angolan antigua argentina argentine
argentinian armenia armenian australia australian austria austrian azerbaijan bahamas bahrain bangladesh
barbados belarus belarusian belgium belgian belize benin bhutan bolivia bolivian bosnia botswana brazil
brazilian brasil brunei bulgaria bulgarian burkina burundi cambodia cameroon canada canadian chad chile
chilean china chinese colombia colombian comoros congo croatia croatian cuba cuban cyprus czech czechia
denmark danish djibouti dominica ecuador ecuadorian egypt egyptian eritrea estonia eswatini ethiopia
ethiopian fiji finland finnish france french gabon gambia georgia georgian germany german ghana greece
greek grenada guatemala guatemalan guinea guyana guyanese haiti haitian honduras honduran hungary hungarian
iceland india indian indonesia indonesian iran iranian iraq iraqi ireland irish israel israeli italy
italian jamaica jamaican japan japanese jordan kazakhstan kenya kenyan kiribati korea korean kosovo kuwait
kyrgyzstan laos latvia lebanon lebanese lesotho liberia libya libyan liechtenstein lithuania luxembourg
madagascar malawi malaysia maldives mali malta mauritania mauritius mexico mexican moldova monaco mongolia
montenegro morocco moroccan mozambique myanmar burma namibia nauru nepal netherlands dutch holland zealand
nicaragua nicaraguan niger nigeria nigerian macedonia norway norwegian oman pakistan pakistani palau
palestine palestinian panama panamanian paraguay paraguayan peru peruvian philippines filipino poland
polish portugal portuguese qatar romania romanian russia russian rwanda samoa marino saudi senegal serbia
serbian seychelles sierra singapore slovakia slovak slovenia solomon somalia south sudan spain
sri lanka sudanese suriname sweden swedish switzerland swiss syria syrian taiwan tajikistan tanzania
thailand thai togo tonga trinidad tobago tunisia turkey turkish turkmenistan tuvalu uganda ukraine
ukrainian emirates uk britain british england scotland wales uruguay uruguayan uzbekistan vanuatu
vatican vietnam vietnamese yemen zambia zimbabwe
europe european africa african asia asian
nato oas icc unhcr unicef mercosur celac
cubano cubanos nicaraguense colombiano colombianos brasileno argentino mexicano chileno peruano ecuatoriano
boliviano rusia ruso china chino iran irani espana francia frances alemania aleman
""".split()
